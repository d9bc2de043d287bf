//! The MCP protocol layer: pure data and dispatch, no HTTP and no platform types.
//!
//! `jsonrpc` parses envelopes, `version` knows the revisions, `session` is the persisted session
//! model, `handler` is the trait a server implements, `dispatch` routes methods to it.

// rmcp marks logging as deprecated (SEP-2577), yet every session revision we serve has it.
#![allow(deprecated)]

pub(crate) mod dispatch;
pub(crate) mod handler;
pub(crate) mod jsonrpc;
pub(crate) mod pagination;
pub(crate) mod session;
pub(crate) mod version;

pub(crate) use dispatch::{Dispatcher, NotificationEffect};
pub(crate) use handler::{McpHandler, RequestScope};

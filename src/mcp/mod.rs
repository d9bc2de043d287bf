//! The MCP protocol layer: pure data and dispatch, no HTTP and no platform types.
//!
//! `jsonrpc` parses envelopes, `version` knows the revisions, `session` is the persisted session
//! model, `handler` is the trait a server implements, `dispatch` routes methods to it.

// rmcp marks logging as deprecated (SEP-2577), yet every session revision we serve has it.
#![allow(deprecated)]

pub mod dispatch;
pub mod handler;
pub mod jsonrpc;
pub mod pagination;
pub mod session;
pub mod version;

pub use dispatch::{Dispatcher, NotificationEffect};
pub use handler::{McpHandler, RequestScope};

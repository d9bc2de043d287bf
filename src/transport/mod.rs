//! HTTP semantics as plain data: admission (the router's limits and deny cache, the objects'
//! decide → 429 → annotate), the router's gate, the Streamable HTTP session machine and the
//! rate-limit headers. No platform types: the edge converts at the boundary.

pub(crate) mod admission;
pub mod gate;
pub(crate) mod http;
pub(crate) mod internal;
pub(crate) mod object_frame;
pub(crate) mod ratelimit;
pub(crate) mod sign_in;
pub(crate) mod streamable;

pub use http::{Headers, HttpRequest, HttpResponse, Method};

//! HTTP semantics as plain data: admission (the router's limits and deny cache, the objects'
//! decide → 429 → annotate), the router's gate, the Streamable HTTP session machine and the
//! rate-limit headers. No platform types: the edge converts at the boundary.

pub mod admission;
pub mod gate;
pub mod http;
pub mod internal;
pub mod ratelimit;
pub mod streamable;

pub use http::{Headers, HttpRequest, HttpResponse, Method};

//! Policy between protocol and I/O: who a client is and how much it may ask.

pub mod admin;
pub mod admissions;
pub mod api_keys;
pub mod cache;
pub mod client_key;
pub mod deny_cache;
pub mod health;
pub mod limiter;
pub mod quotas;

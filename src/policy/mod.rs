//! Policy between protocol and I/O: who a client is and how much it may ask.

pub(crate) mod admin;
pub(crate) mod admissions;
pub(crate) mod api_keys;
pub(crate) mod cache;
pub(crate) mod client_key;
pub(crate) mod deny_cache;
pub(crate) mod health;
pub(crate) mod limiter;
pub(crate) mod quotas;

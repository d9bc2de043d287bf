//! Policy between protocol and I/O: who a client is and how much it may ask.

pub mod limiter;

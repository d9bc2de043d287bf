//! Small shared building blocks with no domain knowledge: hex text, digests and keyed MACs, UTC
//! calendar arithmetic, and the encoding of persisted records. Every layer may use them; they use no other module.

pub(crate) mod calendar;
pub(crate) mod digest;
pub(crate) mod hex;
pub(crate) mod persist;

//! Battle mechanics the tools share, as pure functions: the likeliest set of a species in a
//! format (`sets`), exact stats and final speed (`speed`), and the damage calculator's request
//! and result (`calc`) — the calculation itself runs in `@smogon/calc` behind the
//! [`calc::DamageCalculator`] trait (the edge calls it through wasm-bindgen; see ARCHITECTURE.md).

pub(crate) mod calc;
pub(crate) mod sets;
pub(crate) mod speed;

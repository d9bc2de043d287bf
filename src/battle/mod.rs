//! Battle mechanics as pure functions: numbers Showdown computes, reproduced exactly.

pub mod speed;

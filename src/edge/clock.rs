//! The one clock of the edge: epoch milliseconds from the runtime. Workers clocks advance only
//! across I/O (a Spectre mitigation), so a computation between two awaits measures as 0 ms.

/// `Date.now()`: a static call, where `worker::Date::now()` builds a `Date` object to read it.
pub(super) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

//! The one clock of the edge: epoch milliseconds from the runtime. Workers clocks advance only
//! across I/O (a Spectre mitigation), so a computation between two awaits measures as 0 ms.

pub(super) fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

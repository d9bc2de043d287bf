//! Structured logs: `tracing` events as one JSON object per line on the Workers console, where
//! `wrangler tail` and Workers Logs pick them up. No timestamps from us: the platform stamps each
//! line (and `SystemTime::now` is unavailable in wasm).

use std::io::Write;
use std::sync::Once;

use tracing_subscriber::fmt::MakeWriter;

/// Installs the subscriber and the panic reporter once per instance; every entry point calls it.
pub(super) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .without_time()
            .with_current_span(false)
            .with_span_list(false)
            .with_target(false)
            .with_writer(Console)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        super::telemetry::install_panic_hook();
    });
}

#[derive(Clone, Copy)]
struct Console;

/// Buffers one event and writes it as a single console line when dropped.
struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let text = text.trim_end();
        if !text.is_empty() {
            worker::console_log!("{text}");
        }
    }
}

impl<'a> MakeWriter<'a> for Console {
    type Writer = Line;

    fn make_writer(&'a self) -> Self::Writer {
        Line(Vec::with_capacity(256))
    }
}

//! `#[napi]` items only: argument conversion, error mapping, event batching.
//! No protocol logic lives here; every item adapts a room of the core for JavaScript.
//!
//! Every exported function and method carries `#[napi(catch_unwind)]`: a panic inside it (in
//! argument conversion, the body or the conversion of the result) becomes a thrown JS error
//! instead of unwinding into Node. `test/seam.test.js` lists the addon's exports and fails
//! when one of them is declared without it.

pub mod admin;
pub mod affinity;
pub mod balancer;
pub mod codec;
pub mod connection;
pub mod errors;
pub mod logging;
pub mod values;

use napi_derive::napi;

/// Version of the Rust core (the crate version).
#[napi(catch_unwind)]
pub fn core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The core's tokio runtime: one I/O thread by default. Every connection's work is a short burst
/// (read, decode, hand over; or flush a queue), so one thread keeps up with the single JS thread
/// that consumes the events, and fewer threads mean fewer wake-ups and context switches per
/// message. `GEARMANODE_IO_THREADS` (1–64) overrides it.
#[napi_derive::module_init]
fn init_runtime() {
    errors::init_test_hooks();
    // A panic is caught where it happens (entry points, connection tasks) and becomes an `error`
    // event; its report goes to the library's logger (level error) instead of raw stderr. Not in
    // `cargo test`, where the default hook shows a failing test's panic message.
    #[cfg(not(test))]
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        tracing::error!(target: "gearmanode::panic", "panic in the gearmanode core{place}: {what}");
    }));
    let threads = std::env::var("GEARMANODE_IO_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or(1);
    affinity::init(threads);
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("gearmanode-io")
        .enable_all()
        .build()
    {
        Ok(rt) => napi::bindgen_prelude::create_custom_tokio_runtime(rt),
        // napi-rs falls back to its default runtime.
        Err(e) => {
            eprintln!("gearmanode: cannot build the I/O runtime ({e}); using the default one")
        }
    }
}

/// The largest packet accepted from a server when no `maxPacketSize` is given (header included).
#[napi]
pub const DEFAULT_MAX_PACKET_SIZE: u32 = crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE as u32;

/// The `keepAlive` idle time (ms) when a client or worker sets none: a dead server is found within
/// about four times that (see `transport::liveness`).
#[napi]
pub const DEFAULT_KEEPALIVE: u32 = crate::transport::liveness::DEFAULT_IDLE.as_millis() as u32;

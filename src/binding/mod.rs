//! `#[napi]` items only: argument conversion, error mapping, event batching.
//! No protocol logic lives here; every item adapts a room of the core for JavaScript.

pub mod admin;
pub mod balancer;
pub mod codec;
pub mod connection;
pub mod logging;
pub mod values;

use napi_derive::napi;

/// Version of the Rust core (the crate version).
#[napi]
pub fn core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The core's tokio runtime: one I/O thread by default. Every connection's work is a short burst
/// (read, decode, hand over; or flush a queue), so one thread keeps up with the single JS thread
/// that consumes the events, and fewer threads mean fewer wake-ups and context switches per
/// message. `GEARMANODE_IO_THREADS` (1–64) overrides it.
#[napi_derive::module_init]
fn init_runtime() {
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

/// Kinds of connection event, the first argument of a `NativeConnection` callback.
#[napi]
pub enum EventKind {
    /// `(Connect, addresses)`: connected (after the TLS handshake with TLS).
    Connect = 1,
    /// `(Data, chunk: Buffer, frames: Uint32Array)`: every whole packet of one read.
    Data = 2,
    /// `(Error, err: Error)`: the connection failed; `Close` follows.
    Error = 3,
    /// `(End)`: the server closed its side.
    End = 4,
    /// `(Close, hadError: boolean)`: the last event.
    Close = 5,
}

/// Slots of the `Uint32Array` that `scanPackets` returns; frames start at `Frames`.
#[napi]
pub enum ScanSlot {
    /// Bytes consumed by whole packets.
    Consumed = 0,
    /// Number of whole packets.
    Packets = 1,
    /// Size of an incomplete packet whose header is complete (0 otherwise).
    PendingTotal = 2,
    /// A `ScanError`.
    Error = 3,
    /// The first frame.
    Frames = 4,
}

/// The error slot of a scan.
#[napi]
pub enum ScanError {
    /// No error.
    None = 0,
    /// Bytes that do not start with the expected magic.
    BadMagic = 1,
    /// A packet over the size limit.
    TooLarge = 2,
}

/// Layout of one frame: `[code, start, end, argc, (argStart, argEnd) * argc]`.
#[napi]
pub enum FrameSlot {
    /// Packet type code.
    Code = 0,
    /// Offset of the packet's first byte.
    Start = 1,
    /// Offset after its last byte.
    End = 2,
    /// Number of arguments.
    Argc = 3,
    /// The first argument's start offset (its end follows).
    Args = 4,
}

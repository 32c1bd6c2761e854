//! `NativeConnection`: one transport connection exposed to JavaScript. Its events reach JS through
//! a threadsafe function, one call per event (one read = one `data` event with every packet
//! decoded from it).
//!
//! Lifetime: the threadsafe function keeps the event loop alive like a ref'd socket until the
//! connection closes or is destroyed; `unref()` releases that hold. The object keeps its copy in a
//! slot that the connection task empties when it ends, so a finished connection never pins the
//! process (docs/ARCHITECTURE.md#lifetime).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use napi::bindgen_prelude::{Array, FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{check_status, Env, Status};
use napi_derive::napi;

use super::errors::{invalid, test_hook, unconvertible, CodedError, Result};
use super::values::JsOut;
use crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE;
use crate::protocol::packet::Magic;
use crate::transport::error::classify;
use crate::transport::liveness;
use crate::transport::{
    ConnectOptions, Connection, Event, EventSink, Framing, TlsOptions, TransportError,
};

/// Kinds of connection events: the first argument of the callback given to
/// `NativeConnection.connect`, which is called as `callback(kind, a, b)`, one call per event, in
/// the order the events happened:
/// - `Connect`: connected (after the TLS handshake, with TLS); `a` =
///   `{localAddress, localPort, remoteAddress, remotePort, remoteFamily}`.
/// - `Data`: the complete packets of one read. `a` = a Buffer holding them, `b` = their frame
///   table, a `Uint32Array` of frames laid out as `FrameSlot` (src/binding/codec.rs) says, the
///   first frame at index 0 (empty for a raw connection, whose Buffer is the bytes as read).
/// - `Error`: the connection failed; `a` = an `Error` whose `code` is one of `errorCodes()`
///   (with `errno`, `syscall`, `address`/`hostname`, `port` as Node's socket errors have them).
///   A `Close` with `hadError` true follows.
/// - `End`: the server closed its side (FIN).
/// - `Close`: the last event; `a` = `hadError`.
#[napi]
pub enum EventKind {
    /// Connected.
    Connect = 1,
    /// Packets of one read.
    Data = 2,
    /// The connection failed.
    Error = 3,
    /// The server closed its side.
    End = 4,
    /// Closed; the last event.
    Close = 5,
}

type JsArgs = FnArgs<(u32, JsOut, JsOut)>;
type EventTsfn = ThreadsafeFunction<Event, (), JsArgs, Status, false, false, 0>;
type Slot = Arc<Mutex<Option<Arc<EventTsfn>>>>;

fn to_args(event: Event) -> JsArgs {
    let (kind, a, b) = match event {
        Event::Connect { local, remote } => (
            EventKind::Connect,
            JsOut::Addresses { local, remote },
            JsOut::Undefined,
        ),
        Event::Data(mut delivery) => {
            let frames = std::mem::take(&mut delivery.batch.frames);
            (
                EventKind::Data,
                JsOut::Chunk(delivery),
                JsOut::Frames(frames),
            )
        }
        Event::Error(e) => (EventKind::Error, JsOut::Error(e), JsOut::Undefined),
        Event::End => (EventKind::End, JsOut::Undefined, JsOut::Undefined),
        Event::Close { had_error } => (EventKind::Close, JsOut::Bool(had_error), JsOut::Undefined),
    };
    FnArgs::from((kind as u32, a, b))
}

/// Delivers events through the threadsafe function; when the connection task ends and drops it,
/// the object's copy is released too.
struct TsfnSink {
    tsfn: Arc<EventTsfn>,
    slot: Slot,
}

impl EventSink for TsfnSink {
    fn deliver(&self, event: Event) {
        let bytes = match &event {
            Event::Data(d) => d.batch.data.len(),
            _ => 0,
        };
        super::affinity::on_io_thread(bytes);
        let status = self
            .tsfn
            .call(event, ThreadsafeFunctionCallMode::NonBlocking);
        if status != Status::Ok {
            super::affinity::not_delivered();
            tracing::debug!(target: "gearmanode::binding", ?status, "event not delivered");
        }
    }
}

impl Drop for TsfnSink {
    fn drop(&mut self) {
        lock(&self.slot).take();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Options of `NativeConnection.connect`.
#[napi(object)]
pub struct NativeConnectOptions {
    /// Time allowed for name resolution and the TCP handshake, in ms (default 15000).
    pub connect_timeout: Option<u32>,
    /// Largest packet accepted from the server, header included (default 256 MiB).
    pub max_packet_size: Option<f64>,
    /// Deliver the bytes as read, unframed (the admin text protocol).
    pub raw: Option<bool>,
    /// Test hook: make the connection task panic, to show that a core fault becomes an error event.
    /// Refused (`GEARMAN_TEST_HOOKS_OFF`) unless `GEARMANODE_TEST_HOOKS=1` was set when the addon
    /// loaded.
    pub panic_for_test: Option<bool>,
    /// TLS over the connection (the JS side has normalised the user's `tls` option).
    pub tls: Option<NativeTlsOptions>,
    /// Dead-peer detection: the idle time in ms before keepalive probes (the `keepAlive` option;
    /// see `transport::liveness`); 0 turns it off; absent: `DEFAULT_KEEPALIVE` (15000).
    pub keep_alive: Option<u32>,
}

/// The `tls` option: PEM texts and flags. A bad PEM is reported as an `ERR_TLS_BAD_CONFIG` error
/// event when connecting.
#[napi(object)]
pub struct NativeTlsOptions {
    /// Certificate authorities to trust (PEM texts) instead of the built-in roots.
    pub ca: Option<Vec<String>>,
    /// Client certificate chain (PEM), for mutual TLS.
    pub cert: Option<String>,
    /// Private key of `cert` (PEM, unencrypted).
    pub key: Option<String>,
    /// Server name for SNI and the certificate check (default: the host).
    pub servername: Option<String>,
    /// Verify the server's certificate (default true; false is insecure).
    pub reject_unauthorized: Option<bool>,
}

impl From<NativeTlsOptions> for TlsOptions {
    fn from(o: NativeTlsOptions) -> Self {
        TlsOptions {
            ca: o.ca.unwrap_or_default(),
            cert: o.cert,
            key: o.key,
            servername: o.servername,
            reject_unauthorized: o.reject_unauthorized.unwrap_or(true),
        }
    }
}

/// A Gearman connection driven by the Rust core.
#[napi]
pub struct NativeConnection {
    conn: Option<Connection>,
    tsfn: Slot,
}

impl Default for NativeConnection {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl NativeConnection {
    /// A connection that is not connected yet.
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Self {
        NativeConnection {
            conn: None,
            tsfn: Arc::new(Mutex::new(None)),
        }
    }

    /// Starts connecting to `host:port`; events go to `callback(kind, a, b)` (see [`EventKind`]).
    #[napi(
        catch_unwind,
        ts_args_type = "host: string, port: number, options: NativeConnectOptions, callback: (kind: EventKind, a?: any, b?: any) => void"
    )]
    pub fn connect(
        &mut self,
        host: String,
        port: u32,
        options: NativeConnectOptions,
        callback: Function<'_, JsArgs, ()>,
    ) -> Result<()> {
        if self.conn.is_some() {
            return Err(invalid("connection already started"));
        }
        let port = u16::try_from(port).map_err(|_| invalid("port out of range"))?;
        let panic_for_test = options.panic_for_test.unwrap_or(false);
        if panic_for_test {
            test_hook("panicForTest")?;
        }
        let max = options
            .max_packet_size
            .map_or(DEFAULT_MAX_PACKET_SIZE, |m| {
                if m.is_finite() && m >= 12.0 {
                    m.min((u32::MAX - 12) as f64) as usize
                } else {
                    DEFAULT_MAX_PACKET_SIZE
                }
            });
        let opts = ConnectOptions {
            host,
            port,
            connect_timeout: Duration::from_millis(u64::from(
                options.connect_timeout.unwrap_or(15_000).max(1),
            )),
            framing: if options.raw.unwrap_or(false) {
                Framing::Raw
            } else {
                Framing::Packets {
                    expect: Magic::Res,
                    max_packet_size: max,
                }
            },
            tls: options.tls.map(TlsOptions::from),
            keepalive: match options.keep_alive {
                None => Some(liveness::DEFAULT_IDLE),
                Some(0) => None,
                Some(ms) => Some(Duration::from_millis(u64::from(ms))),
            },
        };
        let tsfn: EventTsfn = callback
            .build_threadsafe_function::<Event>()
            .callee_handled::<false>()
            .build_callback(|ctx| {
                super::affinity::on_js_thread();
                Ok(to_args(ctx.value))
            })
            .map_err(unconvertible)?;
        let tsfn = Arc::new(tsfn);
        *lock(&self.tsfn) = Some(tsfn.clone());
        let sink = Arc::new(TsfnSink {
            tsfn,
            slot: self.tsfn.clone(),
        });
        let (conn, runner) = Connection::new(opts);
        self.conn = Some(conn);
        napi::bindgen_prelude::spawn(async move {
            let run = async {
                if panic_for_test {
                    panic!("panic requested by the test hook");
                }
                runner.run(sink.clone()).await
            };
            if let Err(cause) = AssertUnwindSafe(run).catch_unwind().await {
                let what = cause
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| cause.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                tracing::error!(target: "gearmanode::binding", "connection task panicked: {what}");
                sink.deliver(Event::Error(TransportError::Internal(what)));
                sink.deliver(Event::Close { had_error: true });
            }
        });
        Ok(())
    }

    /// Writes one buffer (queued if the socket cannot take it now).
    #[napi(catch_unwind)]
    pub fn write(&self, data: &[u8]) {
        if let Some(c) = &self.conn {
            c.write(data);
        }
    }

    /// Writes several buffers in order with one call.
    #[napi(catch_unwind, ts_args_type = "buffers: Array<Buffer | Uint8Array>")]
    pub fn writev(&self, buffers: Array) -> Result<()> {
        let Some(c) = &self.conn else { return Ok(()) };
        let mut bufs: Vec<&[u8]> = Vec::with_capacity(buffers.len() as usize);
        for i in 0..buffers.len() {
            if let Some(b) = buffers.get::<&[u8]>(i).map_err(unconvertible)? {
                bufs.push(b);
            }
        }
        c.write_all(&bufs);
        Ok(())
    }

    /// Bytes written but not yet handed to the kernel.
    #[napi(catch_unwind)]
    pub fn queued_bytes(&self) -> f64 {
        self.conn.as_ref().map_or(0.0, |c| c.queued_bytes() as f64)
    }

    /// Half-closes: FIN after the queued bytes.
    #[napi(catch_unwind)]
    pub fn end(&self) {
        if let Some(c) = &self.conn {
            c.end();
        }
    }

    /// Closes at once; no more events are delivered and the event loop is released.
    #[napi(catch_unwind)]
    pub fn destroy(&self) {
        if let Some(c) = &self.conn {
            c.destroy();
        }
        lock(&self.tsfn).take();
    }

    /// Stops reading from the socket until `resume()`.
    #[napi(catch_unwind)]
    pub fn pause(&self) {
        if let Some(c) = &self.conn {
            c.set_paused(true);
        }
    }

    /// Resumes reading.
    #[napi(catch_unwind)]
    pub fn resume(&self) {
        if let Some(c) = &self.conn {
            c.set_paused(false);
        }
    }

    /// TCP keepalive on or off (`net.Socket#setKeepAlive`): `delayMs` is the idle time before
    /// probing; 0 keeps the connection's `keepAlive` setting (or the kernel's timings without one).
    #[napi(catch_unwind)]
    pub fn set_keep_alive(&self, enable: bool, delay_ms: u32) -> Result<()> {
        let idle = (delay_ms > 0).then(|| Duration::from_millis(u64::from(delay_ms)));
        if let Some(c) = &self.conn {
            c.set_keepalive(enable, idle)
                .map_err(|e| socket_option_error(&e))?;
        }
        Ok(())
    }

    /// Nagle's algorithm off (`true`) or on.
    #[napi(catch_unwind)]
    pub fn set_no_delay(&self, no_delay: bool) -> Result<()> {
        if let Some(c) = &self.conn {
            c.set_nodelay(no_delay)
                .map_err(|e| socket_option_error(&e))?;
        }
        Ok(())
    }

    /// Lets the event loop exit while this connection is open (like `socket.unref()`).
    #[napi(catch_unwind)]
    pub fn unref(&self, env: Env) -> Result<()> {
        self.set_ref(env, false)
    }

    /// Keeps the event loop alive while this connection is open again.
    #[napi(js_name = "ref", catch_unwind)]
    pub fn reference(&self, env: Env) -> Result<()> {
        self.set_ref(env, true)
    }
}

/// A socket option that could not be set, with the socket code of the OS error.
fn socket_option_error(e: &std::io::Error) -> CodedError {
    napi::Error::new(classify(e).0.as_str(), e.to_string())
}

impl NativeConnection {
    fn set_ref(&self, env: Env, on: bool) -> Result<()> {
        let slot = lock(&self.tsfn);
        if let Some(t) = &*slot {
            if !t.aborted() {
                // SAFETY: called on the JS thread with its env; the function is alive (held in the slot).
                if on {
                    check_status!(unsafe {
                        napi::sys::napi_ref_threadsafe_function(env.raw(), t.raw())
                    })
                    .map_err(unconvertible)?;
                } else {
                    check_status!(unsafe {
                        napi::sys::napi_unref_threadsafe_function(env.raw(), t.raw())
                    })
                    .map_err(unconvertible)?;
                }
            }
        }
        Ok(())
    }
}

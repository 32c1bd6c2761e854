//! One connection to a job server: connect (with a time limit), read and decode into batches,
//! hand what JavaScript writes to the outbox (`outbox`), and report what happened as
//! [`Event`]s.
//!
//! Reading is held back two ways: `pause()` stops it (at once, even while a read is waiting), and
//! the read credit stops it while `MAX_UNDELIVERED` decoded bytes wait for JavaScript (each
//! [`Delivery`] returns its bytes to the credit when dropped).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::Either;
use futures_util::StreamExt;
use socket2::SockRef;
use tokio::io::AsyncRead;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use super::codec::{Batch, BatchCodec, Framing, READ_CHUNK};
use super::error::{Syscall, TransportError};
use super::liveness;
use super::outbox::{self, Outbox, Writer};
use super::tls::{self, TlsOptions};
use super::tls_stream::{self, EofIsEnd, Stream};

/// How many decoded bytes may wait for JavaScript before the connection stops reading.
pub(super) const MAX_UNDELIVERED: usize = 8 * 1024 * 1024;

/// What a connection needs to know before it starts.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Host name or address of the job server.
    pub host: String,
    /// TCP port of the job server.
    pub port: u16,
    /// Time allowed for name resolution plus the TCP handshake.
    pub connect_timeout: Duration,
    /// How incoming bytes are framed (Gearman packets, or raw for the admin protocol).
    pub framing: Framing,
    /// TLS over the TCP connection, when set.
    pub tls: Option<TlsOptions>,
    /// Dead-peer detection: the idle time of [`liveness`](super::liveness), or `None` for none.
    pub keepalive: Option<Duration>,
}

/// Something that happened on a connection, in the order it happened.
#[derive(Debug)]
pub enum Event {
    /// The TCP connection is established.
    Connect {
        /// Our end of the connection.
        local: SocketAddr,
        /// The server's end.
        remote: SocketAddr,
    },
    /// Complete packets decoded from one read.
    Data(Delivery),
    /// The connection failed; a `Close { had_error: true }` follows.
    Error(TransportError),
    /// The server closed its side (FIN); further writes may still be made until `end()`.
    End,
    /// The connection is closed; the last event.
    Close {
        /// Whether an `Error` preceded it.
        had_error: bool,
    },
}

/// A batch on its way to JavaScript. While it exists it counts against the undelivered-bytes
/// budget; dropping it (once JS has its own copy or owns the memory) returns the credit.
#[derive(Debug)]
pub struct Delivery {
    /// The decoded packets.
    pub batch: Batch,
    credit: Arc<Shared>,
}

impl Drop for Delivery {
    fn drop(&mut self) {
        let len = self.batch.data.len();
        if self.credit.undelivered.fetch_sub(len, Ordering::AcqRel) >= MAX_UNDELIVERED {
            self.credit.drained.notify_one();
        }
    }
}

/// Receives the events of one connection. Implemented by the binding (a threadsafe function).
pub trait EventSink: Send + Sync + 'static {
    /// Delivers one event; called from the connection task.
    fn deliver(&self, event: Event);
}

impl<T: EventSink> EventSink for Arc<T> {
    fn deliver(&self, event: Event) {
        (**self).deliver(event)
    }
}

pub(super) struct Shared {
    out: Mutex<Outbox>,
    pub(super) wake_writer: Notify,
    cancel: CancellationToken,
    paused: watch::Sender<bool>,
    undelivered: AtomicUsize,
    drained: Notify,
    keepalive: Option<Duration>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    pub(super) fn out(&self) -> MutexGuard<'_, Outbox> {
        // A panic while the lock is held cannot leave the queue half-updated in a way that
        // matters more than losing the connection, so a poisoned lock is simply taken over.
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The handle JavaScript holds: cheap to clone, every method callable from any thread.
#[derive(Clone, Debug)]
pub struct Connection {
    shared: Arc<Shared>,
}

/// The task side of a connection: run it on a tokio runtime with [`Runner::run`].
pub struct Runner {
    shared: Arc<Shared>,
    options: ConnectOptions,
}

impl Connection {
    /// Creates a connection handle and the runner that will connect and drive it.
    pub fn new(options: ConnectOptions) -> (Connection, Runner) {
        let (paused, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            out: Mutex::new(Outbox::default()),
            wake_writer: Notify::new(),
            cancel: CancellationToken::new(),
            paused,
            undelivered: AtomicUsize::new(0),
            drained: Notify::new(),
            keepalive: options.keepalive,
        });
        (
            Connection {
                shared: shared.clone(),
            },
            Runner { shared, options },
        )
    }

    /// Writes `data`: at once when nothing is queued and the socket takes it, else queued.
    pub fn write(&self, data: &[u8]) {
        self.write_all(&[data]);
    }

    /// Writes several buffers, in order, as if written one after the other.
    pub fn write_all(&self, bufs: &[&[u8]]) {
        let queued = self.shared.out().write_all(bufs);
        if queued {
            self.shared.wake_writer.notify_one();
        }
    }

    /// Bytes accepted but not yet handed to the kernel.
    pub fn queued_bytes(&self) -> usize {
        self.shared.out().queued
    }

    /// Sends FIN once everything queued is written.
    pub fn end(&self) {
        self.shared.out().ending = true;
        self.shared.wake_writer.notify_one();
    }

    /// Tears the connection down now; no further events are delivered.
    pub fn destroy(&self) {
        // The socket closes once the task has dropped its halves; the outbox's is dropped here.
        self.shared.out().discard();
        self.shared.cancel.cancel();
    }

    /// Stops (`true`) or resumes (`false`) reading from the socket.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.send_replace(paused);
    }

    /// Turns TCP keepalive off, or on: with `idle`, dead-peer detection with that idle time (see
    /// [`liveness`](super::liveness)); without, the connection's own setting (`keepalive` of its
    /// options), or the kernel's timings when it has none.
    pub fn set_keepalive(&self, enable: bool, idle: Option<Duration>) -> io::Result<()> {
        let out = self.shared.out();
        let Some(sock) = out.sock() else {
            return Ok(());
        };
        match (enable, idle.or(self.shared.keepalive)) {
            (false, _) => liveness::disable(sock),
            (true, Some(idle)) => liveness::apply(sock, idle),
            (true, None) => liveness::kernel_defaults(sock),
        }
    }

    /// Turns Nagle's algorithm off (`true`, the default here) or on.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.shared.out().set_nodelay(nodelay)
    }
}

impl Runner {
    /// Connects and drives the connection until it closes or is destroyed, reporting to `sink`.
    pub async fn run<S: EventSink>(self, sink: S) {
        let shared = self.shared;
        let opts = self.options;
        let stream = tokio::select! {
            biased;
            _ = shared.cancel.cancelled() => return,
            r = connect(&opts) => match r {
                Ok(s) => s,
                Err(e) => {
                    shared.out().closed = true;
                    sink.deliver(Event::Error(e));
                    sink.deliver(Event::Close { had_error: true });
                    return;
                }
            },
        };
        let (local, remote) = match (stream.tcp().local_addr(), stream.tcp().peer_addr()) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(e), _) | (_, Err(e)) => {
                sink.deliver(Event::Error(TransportError::socket(&e, Syscall::Connect)));
                sink.deliver(Event::Close { had_error: true });
                return;
            }
        };
        let work = match stream {
            Stream::Tcp(stream) => {
                let (rd, wr) = stream.into_split();
                let wr = Arc::new(wr);
                shared.out().writer = Some(Writer::Tcp(wr.clone()));
                Either::Left(async {
                    tokio::try_join!(
                        read_loop(rd, &opts, &shared, &sink),
                        outbox::write_loop(wr, &shared)
                    )
                })
            }
            Stream::Tls(stream) => {
                match SockRef::from(stream.get_ref().0).try_clone() {
                    Ok(sock) => shared.out().writer = Some(Writer::Tls(sock)),
                    Err(e) => {
                        tracing::warn!(target: "gearmanode::transport", "no socket options over TLS: {e}")
                    }
                }
                let (rd, wr) = tokio::io::split(*stream);
                Either::Right(async {
                    tokio::try_join!(
                        read_loop(EofIsEnd(rd), &opts, &shared, &sink),
                        tls_stream::write_loop(wr, &shared)
                    )
                })
            }
        };
        tracing::debug!(target: "gearmanode::transport", %local, %remote, "connected");
        sink.deliver(Event::Connect { local, remote });
        shared.wake_writer.notify_one();

        let result = tokio::select! {
            biased;
            _ = shared.cancel.cancelled() => return,
            r = work => r,
        };
        {
            let mut out = shared.out();
            out.closed = true;
            out.writer = None;
        }
        match result {
            Ok(_) => sink.deliver(Event::Close { had_error: false }),
            Err(e) => {
                tracing::debug!(target: "gearmanode::transport", "connection failed: {e}");
                sink.deliver(Event::Error(e));
                sink.deliver(Event::Close { had_error: true });
            }
        }
    }
}

/// Connects, with TLS when asked, all within the connect timeout.
async fn connect(opts: &ConnectOptions) -> Result<Stream, TransportError> {
    // A bad TLS configuration fails before any connection is made.
    let tls = opts
        .tls
        .as_ref()
        .map(|t| tls::setup(t, &opts.host))
        .transpose()?;
    let tcp = async {
        let addrs = tokio::net::lookup_host((opts.host.as_str(), opts.port))
            .await
            .map_err(|e| TransportError::lookup(&e, &opts.host))?;
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => {
                    last = Some(TransportError::io(
                        &e,
                        Syscall::Connect,
                        &addr.ip().to_string(),
                        addr.port(),
                    ))
                }
            }
        }
        let none = io::Error::new(io::ErrorKind::NotFound, "no addresses");
        Err(last.unwrap_or_else(|| TransportError::lookup(&none, &opts.host)))
    };
    let attempt = async {
        let stream = tcp.await?;
        // Before the handshake, so that its flights are not held back by Nagle either.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(target: "gearmanode::transport", "cannot set TCP_NODELAY: {e}");
        }
        if let Some(idle) = opts.keepalive {
            if let Err(e) = liveness::apply(SockRef::from(&stream), idle) {
                tracing::warn!(target: "gearmanode::transport", "cannot set up keepalive: {e}");
            }
        }
        match tls {
            None => Ok(Stream::Tcp(stream)),
            Some(setup) => {
                let tls = tls_stream::handshake(stream, setup, &opts.host, opts.port).await?;
                Ok(Stream::Tls(Box::new(tls)))
            }
        }
    };
    match tokio::time::timeout(opts.connect_timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(TransportError::connect_timeout(
            &opts.host,
            opts.port,
            opts.connect_timeout.as_millis() as u64,
        )),
    }
}

async fn read_loop<R: AsyncRead + Unpin, S: EventSink>(
    rd: R,
    opts: &ConnectOptions,
    shared: &Arc<Shared>,
    sink: &S,
) -> Result<(), TransportError> {
    let codec = BatchCodec::with_framing(opts.framing);
    let mut frames = FramedRead::with_capacity(rd, codec, READ_CHUNK);
    let mut paused = shared.paused.subscribe();
    loop {
        if *paused.borrow() {
            // The sender lives in `shared`, so this only ends with a resume.
            let _ = paused.wait_for(|p| !*p).await;
        }
        while shared.undelivered.load(Ordering::Acquire) >= MAX_UNDELIVERED {
            let drained = shared.drained.notified();
            if shared.undelivered.load(Ordering::Acquire) < MAX_UNDELIVERED {
                break;
            }
            drained.await;
        }
        let next = tokio::select! {
            biased;
            // A pause while a read waits takes effect at once: nothing more is delivered until
            // `resume()` (the framed reader keeps what it has read meanwhile).
            _ = paused.wait_for(|p| *p) => continue,
            next = frames.next() => next,
        };
        match next {
            Some(Ok(batch)) => {
                shared
                    .undelivered
                    .fetch_add(batch.data.len(), Ordering::AcqRel);
                sink.deliver(Event::Data(Delivery {
                    batch,
                    credit: shared.clone(),
                }));
            }
            Some(Err(e)) => return Err(e),
            None => {
                sink.deliver(Event::End);
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;

//! One connection to a job server: connect (with a time limit), read and decode into batches,
//! write what JavaScript queues, and report what happened as [`Event`]s.
//!
//! Writes take the short way when they can: the caller's thread (the JS thread) writes straight
//! into the socket when nothing is queued, so a lone request does not wait for a thread hop; what
//! does not fit is copied into the queue that the connection task drains when the socket is
//! writable. Both paths write under one lock, so bytes keep their order. Over TLS every write
//! goes through the queue and the task (see `tls_stream`).

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_util::future::Either;
use futures_util::StreamExt;
use socket2::{SockRef, TcpKeepalive};
use tokio::io::AsyncRead;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use super::codec::{Batch, BatchCodec, Framing, READ_CHUNK};
use super::error::{Syscall, TransportError};
use super::tls::{self, TlsOptions};
use super::tls_stream::{self, EofIsEnd, Stream};

/// How many decoded bytes may wait for JavaScript before the connection stops reading.
const MAX_UNDELIVERED: usize = 8 * 1024 * 1024;
/// At most this many queued buffers go into one vectored write.
const MAX_IOV: usize = 64;

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

/// The socket once connected.
pub(super) enum Writer {
    /// Plain TCP: the JS thread may write into it directly.
    Tcp(Arc<OwnedWriteHalf>),
    /// TLS: only the task writes; this duplicate of the TCP descriptor serves the socket options.
    Tls(socket2::Socket),
}

impl Writer {
    fn sock(&self) -> SockRef<'_> {
        match self {
            Writer::Tcp(w) => SockRef::from(w.as_ref().as_ref()),
            Writer::Tls(s) => SockRef::from(s),
        }
    }
}

/// Bytes waiting to be written, and the socket they go to once connected.
#[derive(Default)]
pub(super) struct Outbox {
    pub(super) queue: VecDeque<Bytes>,
    pub(super) queued: usize,
    pub(super) writer: Option<Writer>,
    /// `end()` was called: send FIN once the queue is empty.
    pub(super) ending: bool,
    /// FIN was sent or the connection is gone: later writes are dropped.
    pub(super) closed: bool,
}

pub(super) struct Shared {
    out: Mutex<Outbox>,
    pub(super) wake_writer: Notify,
    cancel: CancellationToken,
    paused: watch::Sender<bool>,
    undelivered: AtomicUsize,
    drained: Notify,
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
        });
        (
            Connection {
                shared: shared.clone(),
            },
            Runner { shared, options },
        )
    }

    /// Queues `data` for writing (written at once when the socket can take it).
    pub fn write(&self, data: &[u8]) {
        self.write_all(&[data]);
    }

    /// Queues several buffers, in order, as if written one after the other.
    pub fn write_all(&self, bufs: &[&[u8]]) {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return;
        }
        let mut out = self.shared.out();
        if out.closed || out.ending {
            return;
        }
        let mut skip = 0;
        if out.queue.is_empty() {
            if let Some(Writer::Tcp(w)) = &out.writer {
                skip = try_write_now(w, bufs);
            }
        }
        if skip == total {
            return;
        }
        let mut pos = 0;
        for b in bufs {
            let end = pos + b.len();
            if end > skip {
                let from = skip.saturating_sub(pos);
                out.queue.push_back(Bytes::copy_from_slice(&b[from..]));
                out.queued += b.len() - from;
            }
            pos = end;
        }
        drop(out);
        self.shared.wake_writer.notify_one();
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
        {
            let mut out = self.shared.out();
            out.closed = true;
            // The socket closes once the task has dropped its halves; this one is ours to drop.
            out.writer = None;
            out.queue.clear();
            out.queued = 0;
        }
        self.shared.cancel.cancel();
    }

    /// Stops (`true`) or resumes (`false`) reading from the socket.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.send_replace(paused);
    }

    /// Turns TCP keepalive on (probing after `idle` without traffic) or off.
    pub fn set_keepalive(&self, enable: bool, idle: Duration) -> io::Result<()> {
        let out = self.shared.out();
        match &out.writer {
            Some(w) => apply_keepalive(w.sock(), enable, idle),
            None => Ok(()),
        }
    }

    /// Turns Nagle's algorithm off (`true`, the default here) or on.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let out = self.shared.out();
        match &out.writer {
            Some(w) => w.sock().set_tcp_nodelay(nodelay),
            None => Ok(()),
        }
    }
}

/// Writes as much of `bufs` as the socket takes without blocking; returns the bytes written.
fn try_write_now(w: &OwnedWriteHalf, bufs: &[&[u8]]) -> usize {
    let result = if bufs.len() == 1 {
        w.try_write(bufs[0])
    } else {
        let slices: Vec<IoSlice<'_>> = bufs.iter().take(MAX_IOV).map(|b| IoSlice::new(b)).collect();
        w.try_write_vectored(&slices)
    };
    // Any error is left for the connection task to meet and report with the queued bytes.
    result.unwrap_or(0)
}

fn apply_keepalive(sock: SockRef<'_>, enable: bool, idle: Duration) -> io::Result<()> {
    if !enable {
        return sock.set_keepalive(false);
    }
    let params = TcpKeepalive::new()
        .with_time(idle)
        .with_interval(Duration::from_secs(10))
        .with_retries(6);
    sock.set_tcp_keepalive(&params)
}

enum Flushed {
    /// Everything queued is written.
    Empty,
    /// The socket is full; wait until it is writable.
    Blocked,
    /// FIN is sent: the write side is done.
    Finished,
}

impl Shared {
    fn flush(&self, w: &OwnedWriteHalf) -> io::Result<Flushed> {
        let mut out = self.out();
        while !out.queue.is_empty() {
            let slices: Vec<IoSlice<'_>> = out
                .queue
                .iter()
                .take(MAX_IOV)
                .map(|b| IoSlice::new(b))
                .collect();
            let written = match w.try_write_vectored(&slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flushed::Blocked),
                Err(e) => return Err(e),
            };
            drop(slices);
            out.queued -= written;
            let mut left = written;
            while left > 0 {
                let Some(front) = out.queue.front_mut() else {
                    break;
                };
                if front.len() <= left {
                    left -= front.len();
                    out.queue.pop_front();
                } else {
                    front.advance(left);
                    left = 0;
                }
            }
        }
        if out.ending && !out.closed {
            out.closed = true;
            out.writer = None;
            SockRef::from(w.as_ref()).shutdown(std::net::Shutdown::Write)?;
            return Ok(Flushed::Finished);
        }
        Ok(Flushed::Empty)
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
                        write_loop(wr, &shared)
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
        match frames.next().await {
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

async fn write_loop(wr: Arc<OwnedWriteHalf>, shared: &Shared) -> Result<(), TransportError> {
    loop {
        shared.wake_writer.notified().await;
        loop {
            match shared
                .flush(&wr)
                .map_err(|e| TransportError::socket(&e, Syscall::Write))?
            {
                Flushed::Empty => break,
                Flushed::Finished => return Ok(()),
                Flushed::Blocked => wr
                    .writable()
                    .await
                    .map_err(|e| TransportError::socket(&e, Syscall::Write))?,
            }
        }
    }
}

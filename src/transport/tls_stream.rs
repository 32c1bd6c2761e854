//! The TLS side of a connection: the handshake, reads that end the way Node's TLS sockets end, and
//! the writer task.
//!
//! Unlike plain TCP, where the JS thread may write straight into the socket, every TLS write goes
//! through the queue and this task: the TLS session is not shareable across threads, and only one
//! writer keeps the records in order. The task takes the queued buffers out under the lock and
//! encrypts and writes them without it.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf, WriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::connection::Shared;
use super::error::{Syscall, TransportError};
use super::outbox::{advance, io_slices};
use super::tls::{self, TlsSetup};

/// An established connection: plain TCP, or TLS over TCP.
pub(super) enum Stream {
    /// Plain TCP.
    Tcp(TcpStream),
    /// TLS after a completed handshake.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket underneath.
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

/// Runs the TLS handshake over `tcp`; failures carry Node's codes.
pub(super) async fn handshake(
    tcp: TcpStream,
    setup: TlsSetup,
    host: &str,
    port: u16,
) -> Result<TlsStream<TcpStream>, TransportError> {
    TlsConnector::from(setup.config)
        .connect(setup.server_name, tcp)
        .await
        .map_err(|e| tls::handshake_error(&e, host, port))
}

/// A TLS reader for which a peer that closes TCP without `close_notify` simply ends the stream,
/// as in Node. Gearman packets carry their length, so a cut inside a packet never passes for a
/// whole one.
pub(super) struct EofIsEnd<R>(pub(super) R);

impl<R: AsyncRead + Unpin> AsyncRead for EofIsEnd<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.get_mut().0).poll_read(cx, buf) {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(())),
            other => other,
        }
    }
}

/// What the TLS writer does next.
enum Next {
    /// Write these buffers, in order.
    Write(Vec<Bytes>),
    /// Send `close_notify` and FIN.
    Finish,
    /// Nothing to do until more is queued.
    Wait,
}

impl Shared {
    /// Everything queued (still counted as queued until `written`), or time for `close_notify`
    /// and FIN once the queue is empty after `end()`.
    fn take_queued(&self) -> Next {
        let mut out = self.out();
        if !out.queue.is_empty() {
            return Next::Write(out.queue.drain(..).collect());
        }
        if out.ending && !out.closed {
            // Later writes are dropped, as after FIN on TCP.
            out.closed = true;
            out.writer = None;
            return Next::Finish;
        }
        Next::Wait
    }

    /// `n` of the taken bytes are written.
    fn written(&self, n: usize) {
        let mut out = self.out();
        // `destroy()` may have zeroed the count meanwhile.
        out.queued = out.queued.saturating_sub(n);
    }
}

/// How long a failed write waits for the reader to report why the server hung up.
const ALERT_GRACE: Duration = Duration::from_millis(500);

/// Writes what JavaScript queues, in order; after `end()` and an empty queue, sends
/// `close_notify` and FIN.
pub(super) async fn write_loop(
    wr: WriteHalf<TlsStream<TcpStream>>,
    shared: &Shared,
) -> Result<(), TransportError> {
    match write_queued(wr, shared).await {
        Ok(()) => Ok(()),
        Err(e) => {
            if tls::rustls_error(&e).is_none() {
                // A server that refuses us after the handshake (TLS 1.3 checks the client
                // certificate then) sends an alert and closes; a write may meet the closed socket
                // first. The reader, polled alongside, reports the alert meanwhile if there is one.
                tokio::time::sleep(ALERT_GRACE).await;
            }
            Err(TransportError::socket(&e, Syscall::Write))
        }
    }
}

async fn write_queued(mut wr: WriteHalf<TlsStream<TcpStream>>, shared: &Shared) -> io::Result<()> {
    loop {
        shared.wake_writer.notified().await;
        loop {
            match shared.take_queued() {
                Next::Write(batch) => {
                    let mut bufs = VecDeque::from(batch);
                    while !bufs.is_empty() {
                        // rustls packs the buffers of one vectored write into records.
                        let n = wr.write_vectored(&io_slices(&bufs)).await?;
                        if n == 0 {
                            return Err(io::ErrorKind::WriteZero.into());
                        }
                        advance(&mut bufs, n);
                        shared.written(n);
                    }
                    // rustls may still hold encrypted records that the socket did not take.
                    wr.flush().await?;
                }
                Next::Finish => return wr.shutdown().await,
                Next::Wait => break,
            }
        }
    }
}

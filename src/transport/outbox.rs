//! Outgoing bytes of one connection: the queue that JavaScript writes into, the direct write from
//! the caller's thread, and the writer task that drains the queue.
//!
//! Writes take the short way when they can: the caller's thread (the JS thread) writes straight
//! into the socket when nothing is queued, so a lone request does not wait for a thread hop; what
//! does not fit is copied into the queue that the writer task drains when the socket is writable.
//! Both paths write under the outbox's lock, and the direct path is only taken while the queue is
//! empty, so bytes keep their order. Over TLS every write goes through the queue and the task (see
//! `tls_stream`).

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::Arc;

use bytes::{Buf, Bytes};
use socket2::SockRef;
use tokio::net::tcp::OwnedWriteHalf;

use super::connection::Shared;
use super::error::{Syscall, TransportError};

/// At most this many buffers go into one vectored write.
const MAX_IOV: usize = 64;

/// The socket once connected.
pub(super) enum Writer {
    /// Plain TCP: the JS thread may write into it directly.
    Tcp(Arc<OwnedWriteHalf>),
    /// TLS: only the task writes; this duplicate of the TCP descriptor serves the socket options.
    Tls(socket2::Socket),
}

impl Writer {
    pub(super) fn sock(&self) -> SockRef<'_> {
        match self {
            Writer::Tcp(w) => SockRef::from(w.as_ref().as_ref()),
            Writer::Tls(s) => SockRef::from(s),
        }
    }
}

/// Bytes waiting to be written, and the socket they go to once connected.
#[derive(Default)]
pub(super) struct Outbox {
    /// Buffers in the order they were written.
    pub(super) queue: VecDeque<Bytes>,
    /// Bytes in `queue` (and, over TLS, taken by the task but not yet written).
    pub(super) queued: usize,
    /// The socket, once connected.
    pub(super) writer: Option<Writer>,
    /// `end()` was called: send FIN once the queue is empty.
    pub(super) ending: bool,
    /// FIN was sent or the connection is gone: later writes are dropped.
    pub(super) closed: bool,
}

impl Outbox {
    /// Takes `bufs` in order: written at once when the queue is empty and the socket takes them,
    /// else (the rest) queued. Returns whether the writer task has something new to do.
    pub(super) fn write_all(&mut self, bufs: &[&[u8]]) -> bool {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 || self.closed || self.ending {
            return false;
        }
        let mut skip = 0;
        if self.queue.is_empty() {
            if let Some(Writer::Tcp(w)) = &self.writer {
                skip = try_write_now(w, bufs);
            }
        }
        if skip == total {
            return false;
        }
        let mut pos = 0;
        for b in bufs {
            let end = pos + b.len();
            if end > skip && !b.is_empty() {
                let from = skip.saturating_sub(pos);
                self.queue.push_back(Bytes::copy_from_slice(&b[from..]));
                self.queued += b.len() - from;
            }
            pos = end;
        }
        true
    }

    /// Forgets everything queued (the connection is being torn down).
    pub(super) fn discard(&mut self) {
        self.closed = true;
        self.writer = None;
        self.queue.clear();
        self.queued = 0;
    }

    /// The socket, for its options (None before the connection is up and after it is gone).
    pub(super) fn sock(&self) -> Option<SockRef<'_>> {
        self.writer.as_ref().map(Writer::sock)
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    pub(super) fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        match &self.writer {
            Some(w) => w.sock().set_tcp_nodelay(nodelay),
            None => Ok(()),
        }
    }
}

/// The first buffers of `bufs` as one vectored write.
pub(super) fn io_slices<'a, B: AsRef<[u8]> + 'a>(
    bufs: impl IntoIterator<Item = &'a B>,
) -> Vec<IoSlice<'a>> {
    bufs.into_iter()
        .take(MAX_IOV)
        .map(|b| IoSlice::new(b.as_ref()))
        .collect()
}

/// Drops the first `n` bytes of `bufs` (a write took them): whole buffers first, then the front
/// of the next one. The one place that advances a queue after a partial write, for TCP and TLS.
pub(super) fn advance(bufs: &mut VecDeque<Bytes>, mut n: usize) {
    while n > 0 {
        let Some(front) = bufs.front_mut() else {
            return;
        };
        if front.len() <= n {
            n -= front.len();
            bufs.pop_front();
        } else {
            front.advance(n);
            n = 0;
        }
    }
}

/// Writes as much of `bufs` as the socket takes without blocking; returns the bytes written.
fn try_write_now(w: &OwnedWriteHalf, bufs: &[&[u8]]) -> usize {
    let result = if bufs.len() == 1 {
        w.try_write(bufs[0])
    } else {
        w.try_write_vectored(&io_slices(bufs))
    };
    // Any error is left for the writer task to meet and report with the queued bytes.
    result.unwrap_or(0)
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
    /// Writes what is queued until the queue is empty or the socket is full; then FIN if `end()`
    /// was called.
    fn flush(&self, w: &OwnedWriteHalf) -> io::Result<Flushed> {
        let mut out = self.out();
        while !out.queue.is_empty() {
            let written = match w.try_write_vectored(&io_slices(&out.queue)) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flushed::Blocked),
                Err(e) => return Err(e),
            };
            out.queued -= written;
            advance(&mut out.queue, written);
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

/// The writer task of a plain TCP connection: drains the queue whenever it is woken, waiting for
/// the socket to be writable when it is full; ends after FIN.
pub(super) async fn write_loop(
    wr: Arc<OwnedWriteHalf>,
    shared: &Shared,
) -> Result<(), TransportError> {
    let fail = |e: io::Error| TransportError::socket(&e, Syscall::Write);
    loop {
        shared.wake_writer.notified().await;
        loop {
            match shared.flush(&wr).map_err(fail)? {
                Flushed::Empty => break,
                Flushed::Finished => return Ok(()),
                Flushed::Blocked => wr.writable().await.map_err(fail)?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(parts: &[&'static [u8]]) -> VecDeque<Bytes> {
        parts.iter().map(|p| Bytes::from_static(p)).collect()
    }

    #[test]
    fn advance_drops_whole_buffers_then_the_front_of_the_next() {
        let mut q = queue(&[b"abc", b"de", b"fgh"]);
        advance(&mut q, 0);
        assert_eq!(q, queue(&[b"abc", b"de", b"fgh"]));
        advance(&mut q, 4);
        assert_eq!(q, queue(&[b"e", b"fgh"]));
        advance(&mut q, 1);
        assert_eq!(q, queue(&[b"fgh"]));
        // More than is there: everything goes, nothing panics.
        advance(&mut q, 10);
        assert!(q.is_empty());
    }

    #[test]
    fn writes_before_connecting_are_queued_in_order_and_dropped_after_end() {
        let mut out = Outbox::default();
        assert!(out.write_all(&[b"ab", b"", b"cd"]));
        assert!(!out.write_all(&[b""]));
        assert!(out.write_all(&[b"e"]));
        assert_eq!(out.queued, 5);
        assert_eq!(out.queue, queue(&[b"ab", b"cd", b"e"]));
        out.ending = true;
        assert!(!out.write_all(&[b"late"]));
        assert_eq!(out.queued, 5);
        out.discard();
        assert!(!out.write_all(&[b"later"]));
        assert_eq!((out.queued, out.queue.len()), (0, 0));
    }

    #[test]
    fn io_slices_take_at_most_max_iov_buffers() {
        let bufs: Vec<Bytes> = (0..100).map(|_| Bytes::from_static(b"x")).collect();
        assert_eq!(io_slices(&bufs).len(), MAX_IOV);
        assert_eq!(io_slices(&bufs[..3]).len(), 3);
    }
}

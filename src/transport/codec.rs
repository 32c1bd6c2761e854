//! The tokio-util codec adapter over the protocol room's scanner: every call to `decode` takes all
//! the complete packets buffered so far as one [`Batch`], so one read becomes one event for JS.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::Decoder;

use crate::protocol::codec::scan;
use crate::protocol::packet::Magic;

use super::error::TransportError;

/// How much room to make for each read when no packet is pending: big enough that a burst of small
/// packets comes in with one syscall.
pub const READ_CHUNK: usize = 64 * 1024;

/// Packets decoded from one read: their bytes, contiguous, and where each one lies.
///
/// `frames` holds per packet `[code, start, end, argc, (arg_start, arg_end) * argc]`, offsets into
/// `data` (the layout of [`crate::protocol::codec::scan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The bytes of the complete packets, headers included.
    pub data: Bytes,
    /// Flat frame table, see above.
    pub frames: Vec<u32>,
    /// Number of packets in the batch.
    pub packets: usize,
}

/// How the bytes of a connection are framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Binary Gearman packets with this magic, each at most this many bytes.
    Packets {
        /// Magic every packet must carry.
        expect: Magic,
        /// Largest packet accepted, header included.
        max_packet_size: usize,
    },
    /// No framing: every read is delivered as it came (the admin text protocol, whose replies are
    /// parsed by the protocol room's admin parser on the other side).
    Raw,
}

/// Frames a byte stream from a Gearman server into batches of packets.
#[derive(Debug)]
pub struct BatchCodec {
    framing: Framing,
}

impl BatchCodec {
    /// A codec for packets carrying `expect` magic, refusing packets above `max_packet_size` bytes.
    pub fn new(expect: Magic, max_packet_size: usize) -> Self {
        BatchCodec {
            framing: Framing::Packets {
                expect,
                max_packet_size,
            },
        }
    }

    /// A codec with the given framing.
    pub fn with_framing(framing: Framing) -> Self {
        BatchCodec { framing }
    }
}

impl Decoder for BatchCodec {
    type Item = Batch;
    type Error = TransportError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Batch>, TransportError> {
        let (expect, max_packet_size) = match self.framing {
            Framing::Packets {
                expect,
                max_packet_size,
            } => (expect, max_packet_size),
            Framing::Raw => {
                if src.is_empty() {
                    return Ok(None);
                }
                let data = src.split().freeze();
                return Ok(Some(Batch {
                    data,
                    frames: Vec::new(),
                    packets: 0,
                }));
            }
        };
        let mut frames = Vec::new();
        let outcome = scan(src, expect, max_packet_size, &mut frames);
        if outcome.packets > 0 {
            // Deliver what is valid first; a bad header behind it is reported on the next call.
            let data = src.split_to(outcome.consumed).freeze();
            return Ok(Some(Batch {
                data,
                frames,
                packets: outcome.packets,
            }));
        }
        if let Some(err) = outcome.error {
            return Err(err.into());
        }
        // Make room for the pending packet geometrically (linear total copying) but never much
        // beyond what has actually arrived: a header's claim alone allocates nothing big.
        let want = match outcome.pending_total {
            Some(total) if total > src.len() => {
                let grown = src.capacity().saturating_mul(2).max(READ_CHUNK);
                total.min(grown)
            }
            _ => src.len() + READ_CHUNK,
        };
        if src.capacity() < want {
            src.reserve(want - src.len());
        }
        Ok(None)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Batch>, TransportError> {
        // Bytes of an unfinished packet at EOF are dropped: the peer closed mid-packet, which the
        // connection reports as an ordinary end.
        let batch = self.decode(src)?;
        if batch.is_none() && !src.is_empty() {
            tracing::debug!(target: "gearmanode::transport", pending = src.len(), "connection ended inside a packet");
            src.clear();
        }
        Ok(batch)
    }
}

impl From<std::io::Error> for TransportError {
    fn from(e: std::io::Error) -> Self {
        TransportError::socket(&e, super::error::Syscall::Read)
    }
}

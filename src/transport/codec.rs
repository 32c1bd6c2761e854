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
        // beyond what has actually arrived: at most twice the bytes buffered, so neither a
        // header's claim nor a claim fed a byte per read makes the buffer grow ahead of the data.
        let want = match outcome.pending_total {
            Some(total) if total > src.len() => {
                let grown = src.len().saturating_mul(2).max(READ_CHUNK);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{encode, DEFAULT_MAX_PACKET_SIZE};
    use crate::protocol::error::ProtocolError;
    use crate::protocol::oracle::{frames_to_events, Event};

    fn packet(code: u32, args: &[&[u8]]) -> Vec<u8> {
        let mut dst = BytesMut::new();
        encode(Magic::Res, code, args, &mut dst).expect("valid packet");
        dst.to_vec()
    }

    fn codec() -> BatchCodec {
        BatchCodec::new(Magic::Res, DEFAULT_MAX_PACKET_SIZE)
    }

    fn events(b: &Batch) -> Vec<Event> {
        frames_to_events(&b.data, &b.frames, b.packets)
    }

    #[test]
    fn one_batch_per_read_with_every_whole_packet() {
        let a = packet(11, &[b"H:1", b"fn", b"x\0y"]);
        let b = packet(6, &[]);
        let c = packet(13, &[b"H:1", b"done"]);
        let mut src = BytesMut::new();
        src.extend_from_slice(&a);
        src.extend_from_slice(&b);
        src.extend_from_slice(&c[..c.len() - 2]);
        let batch = codec().decode(&mut src).unwrap().expect("a batch");
        assert_eq!(batch.packets, 2);
        assert_eq!(&batch.data[..], [&a[..], &b[..]].concat());
        assert_eq!(
            events(&batch),
            vec![
                Event::Known(
                    11,
                    b"H:1\0fn\0x\0y".to_vec(),
                    vec![b"H:1".to_vec(), b"fn".to_vec(), b"x\0y".to_vec()]
                ),
                Event::Known(6, vec![], vec![]),
            ]
        );
        // The unfinished packet stays, and is no batch yet.
        assert_eq!(&src[..], &c[..c.len() - 2]);
        assert_eq!(codec().decode(&mut src).unwrap(), None);
    }

    #[test]
    fn a_packet_split_across_reads_comes_whole_in_the_read_that_completes_it() {
        let p = packet(28, &[b"H:1", b"some data"]);
        for cut in 1..p.len() {
            let mut c = codec();
            let mut src = BytesMut::from(&p[..cut]);
            assert_eq!(c.decode(&mut src).unwrap(), None, "cut {cut}");
            src.extend_from_slice(&p[cut..]);
            let batch = c.decode(&mut src).unwrap().expect("the packet");
            assert_eq!((batch.packets, &batch.data[..]), (1, &p[..]));
            assert!(src.is_empty());
        }
    }

    #[test]
    fn a_packet_over_the_limit_is_an_error_after_the_good_ones() {
        let good = packet(6, &[]);
        let big = packet(28, &[b"H:1", &[7; 100]]);
        let mut c = BatchCodec::new(Magic::Res, 64);
        let mut src = BytesMut::new();
        src.extend_from_slice(&good);
        // Only the header of the big one: its claim is enough to refuse it.
        src.extend_from_slice(&big[..12]);
        let batch = c.decode(&mut src).unwrap().expect("the good packet first");
        assert_eq!(batch.packets, 1);
        match c.decode(&mut src) {
            Err(TransportError::Protocol(ProtocolError::TooLarge { size, max: 64 })) => {
                assert_eq!(size, big.len() as u64)
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        let mut src = BytesMut::from(&b"\0REQ\0\0\0\x06\0\0\0\0"[..]);
        assert!(matches!(
            c.decode(&mut src),
            Err(TransportError::Protocol(ProtocolError::BadMagic { .. }))
        ));
    }

    #[test]
    fn a_huge_claim_fed_a_byte_per_read_grows_the_buffer_with_the_data_only() {
        // 200 MiB claimed (under the default limit), then the body trickles in.
        let mut src = BytesMut::from(&packet(28, &[])[..8]);
        src.extend_from_slice(&(200u32 << 20).to_be_bytes());
        let mut c = codec();
        for i in 0..4096usize {
            src.extend_from_slice(b"x");
            assert_eq!(c.decode(&mut src).unwrap(), None);
            let arrived = 12 + i + 1;
            assert!(
                src.capacity() <= 4 * READ_CHUNK + 4 * arrived,
                "capacity {} after {arrived} bytes",
                src.capacity()
            );
        }
    }

    #[test]
    fn a_large_packet_in_small_reads_is_reassembled_with_linear_copying() {
        const TOTAL: usize = 32 << 20;
        const PIECE: usize = 64 << 10;
        let mut stream = packet(17, &[]);
        stream[8..12].copy_from_slice(&(TOTAL as u32).to_be_bytes());
        stream.resize(12 + TOTAL, 0xab);
        let mut c = codec();
        let mut src = BytesMut::with_capacity(READ_CHUNK);
        let (mut grows, mut copied, mut cap) = (0usize, 0usize, src.capacity());
        let mut got = None;
        for piece in stream.chunks(PIECE) {
            // A capacity change is a reallocation that moved what was buffered before.
            let before = src.len();
            src.extend_from_slice(piece);
            if src.capacity() != cap {
                (grows, copied, cap) = (grows + 1, copied + before, src.capacity());
            }
            let before = src.len();
            if let Some(b) = c.decode(&mut src).unwrap() {
                got = Some(b);
            } else if src.capacity() != cap {
                (grows, copied, cap) = (grows + 1, copied + before, src.capacity());
            }
        }
        let batch = got.expect("the packet");
        assert_eq!((batch.packets, batch.data.len()), (1, 12 + TOTAL));
        assert!(batch.data[12..].iter().all(|&b| b == 0xab));
        assert!(
            copied <= 2 * TOTAL,
            "copied {copied} bytes to reassemble {TOTAL}"
        );
        assert!(grows <= 24, "{grows} reallocations");
        assert!(cap <= 2 * (12 + TOTAL) + 2 * READ_CHUNK, "capacity {cap}");
    }

    #[test]
    fn a_packet_cut_by_the_end_of_the_stream_is_dropped() {
        let p = packet(6, &[]);
        let mut src = BytesMut::from(&p[..]);
        src.extend_from_slice(&p[..5]);
        let mut c = codec();
        assert_eq!(c.decode_eof(&mut src).unwrap().map(|b| b.packets), Some(1));
        assert_eq!(c.decode_eof(&mut src).unwrap(), None);
        assert!(src.is_empty());
    }

    #[test]
    fn raw_framing_delivers_each_read_as_it_came() {
        let mut c = BatchCodec::with_framing(Framing::Raw);
        let mut src = BytesMut::new();
        assert_eq!(c.decode(&mut src).unwrap(), None);
        src.extend_from_slice(b"OK 1.1.20\r\n\0RES");
        let b = c.decode(&mut src).unwrap().expect("the bytes");
        assert_eq!(
            (&b.data[..], b.packets, b.frames.len()),
            (&b"OK 1.1.20\r\n\0RES"[..], 0, 0)
        );
        assert!(src.is_empty());
    }
}

//! The bodies of the fuzz targets in `fuzz/` (each target is one call into this module), so that
//! `cargo test` runs them too, over a generated corpus (see the tests below). Compiled for tests
//! and for the `fuzzing` feature only.
//!
//! Each body takes arbitrary bytes, reads its parameters from the first ones, and panics when an
//! invariant breaks.

use bytes::BytesMut;
use tokio_util::codec::Decoder as _;

use crate::protocol::admin::AdminKind;
use crate::protocol::oracle::{drain_decoder, frames_to_events, Decoder, Event};
use crate::protocol::{
    parse_fields, AdminLimits, AdminReplyParser, Magic, ProtocolError, DEFAULT_MAX_PACKET_SIZE,
};
use crate::transport::codec::READ_CHUNK;
use crate::transport::{BatchCodec, TransportError};

/// Takes up to `n` bytes off the front of `data`.
fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(n.min(data.len()));
    *data = tail;
    head
}

/// Takes one byte off the front of `data` (0 when there is none).
fn byte(data: &mut &[u8]) -> u8 {
    take(data, 1).first().copied().unwrap_or(0)
}

/// `data` cut into pieces: a count byte (mod 16), one length byte per cut, then the rest.
fn pieces<'a>(data: &mut &'a [u8]) -> Vec<&'a [u8]> {
    let ncuts = usize::from(byte(data) % 16);
    let cuts = take(data, ncuts);
    let mut out: Vec<&[u8]> = cuts
        .iter()
        .map(|c| take(data, usize::from(*c) + 1))
        .collect();
    out.push(data);
    out
}

/// The production decoder (the transport's batch codec over the protocol room's scanner), fed the
/// stream in pieces as reads would feed it, against the reference decoder: the same packets and
/// errors, frame tables laid out as documented, and a buffer that grows with the bytes that
/// arrived rather than with what headers claim.
///
/// Input: byte 0 = flags (bit 0: magic, bits 1-2: packet size limit), then the pieces (see
/// [`pieces`]).
pub fn batch_codec(data: &[u8]) {
    let mut data = data;
    let flags = byte(&mut data);
    let expect = if flags & 1 == 0 {
        Magic::Res
    } else {
        Magic::Req
    };
    let max = match (flags >> 1) & 3 {
        0 => 12,
        1 => 64,
        2 => 4096,
        _ => DEFAULT_MAX_PACKET_SIZE,
    };
    let mut oracle = Decoder::new(expect, max);
    let mut want = Vec::new();
    let mut codec = BatchCodec::new(expect, max);
    let mut src = BytesMut::new();
    let mut got = Vec::new();
    let mut fed = 0usize;
    let mut dead = false;
    for piece in pieces(&mut data) {
        oracle.push(piece);
        drain_decoder(&mut oracle, &mut want);
        if dead {
            continue;
        }
        src.extend_from_slice(piece);
        fed += piece.len();
        // As tokio's FramedRead does after each read: decode until it needs more bytes.
        loop {
            match codec.decode(&mut src) {
                Ok(Some(batch)) => {
                    assert!(batch.packets > 0, "an empty batch");
                    got.extend(frames_to_events(&batch.data, &batch.frames, batch.packets));
                }
                Ok(None) => break,
                Err(TransportError::Protocol(e)) => {
                    assert!(e.is_fatal(), "{e:?}");
                    got.push(Event::Fatal(e));
                    dead = true;
                    break;
                }
                Err(e) => panic!("not a protocol error: {e:?}"),
            }
        }
        assert!(
            src.capacity() <= 4 * fed + 4 * READ_CHUNK,
            "{} bytes reserved after {fed} arrived",
            src.capacity()
        );
    }
    assert_eq!(got, want, "batch codec and oracle disagree");
    if !dead {
        assert_eq!(src.len(), oracle.buffered());
        // At the end of the stream an unfinished packet is dropped, nothing more is decoded.
        assert!(matches!(codec.decode_eof(&mut src), Ok(None)));
        assert!(src.is_empty());
    }
}

/// `parse_fields` on arbitrary buffers and formats: never panics, ranges stay in the buffer.
///
/// Input: byte 0 = format length (mod 10), then one byte per letter (mod 5 over `NnLbx`), then the
/// buffer.
pub fn parse_field_ranges(data: &[u8]) {
    let mut data = data;
    let n = usize::from(byte(&mut data) % 10);
    let format: String = take(&mut data, n)
        .iter()
        .map(|b| ['N', 'n', 'L', 'b', 'x'][usize::from(*b % 5)])
        .collect();
    let buf = data;
    match parse_fields(buf, &format) {
        Ok((_, ranges)) => {
            assert_eq!(ranges.len(), format.len());
            for (s, e) in ranges {
                assert!(s <= e && e <= buf.len());
            }
        }
        Err(ProtocolError::ShortBuffer { len }) => assert!(len < 12 && len == buf.len()),
        Err(ProtocolError::UnknownFormat { format: f }) => {
            assert!(f.contains('x') && f == format)
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

/// The admin reply parser on arbitrary bytes: never panics, stays within its limits, and a fatal
/// error stays fatal.
///
/// Input: byte 0 = max line length, byte 1 = number of awaited commands (mod 16), then one byte
/// per command kind, then the pieces (see [`pieces`]).
pub fn admin_reply(data: &[u8]) {
    let mut data = data;
    let max_line = usize::from(byte(&mut data)) + 1;
    let nkinds = usize::from(byte(&mut data) % 16);
    let kinds = take(&mut data, nkinds);
    let limits = AdminLimits {
        max_line,
        max_reply: 4 * max_line + 64,
    };
    let mut parser = AdminReplyParser::new(limits);
    for k in kinds {
        parser.expect(AdminKind::ALL[usize::from(*k) % AdminKind::ALL.len()]);
    }
    let mut fatal = None;
    for piece in pieces(&mut data) {
        parser.push(piece);
        // Each reply consumes at least one line, so this loop ends.
        loop {
            match parser.next_reply() {
                Ok(None) => break,
                Ok(Some(_)) => assert!(fatal.is_none()),
                Err(e) if e.is_fatal() => {
                    if let Some(prev) = &fatal {
                        assert_eq!(prev, &e);
                    }
                    assert_eq!(parser.buffered(), 0);
                    fatal = Some(e);
                    break;
                }
                Err(_) => assert!(fatal.is_none()),
            }
        }
        // Once drained, at most one incomplete line (plus a CR) is held.
        assert!(fatal.is_some() || parser.buffered() <= max_line + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::encode;
    use crate::protocol::packet::{MAGIC_REQ, MAGIC_RES, PACKETS};

    /// A small deterministic generator (xorshift64*): the corpus is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// A stream of mostly well-framed packets (known and unknown codes, both magics, now and
    /// then a lying header or garbage).
    fn stream(rng: &mut Rng) -> Vec<u8> {
        let mut out = bytes::BytesMut::new();
        for _ in 0..rng.below(6) {
            match rng.below(10) {
                0..=5 => {
                    let spec = &PACKETS[rng.below(PACKETS.len() as u64) as usize];
                    let args: Vec<Vec<u8>> = spec
                        .args
                        .iter()
                        .map(|_| {
                            let n = rng.below(24) as usize;
                            rng.bytes(n).into_iter().map(|b| b.max(1)).collect()
                        })
                        .collect();
                    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                    let magic = if rng.below(8) == 0 {
                        Magic::Req
                    } else {
                        Magic::Res
                    };
                    encode(magic, spec.code, &refs, &mut out).expect("valid packet");
                }
                6 => {
                    // An unknown code with a body.
                    let n = rng.below(20) as usize;
                    let body = rng.bytes(n);
                    let len = u32::try_from(body.len()).expect("small");
                    for v in [MAGIC_RES, 50 + rng.below(1000) as u32, len] {
                        out.extend_from_slice(&v.to_be_bytes());
                    }
                    out.extend_from_slice(&body);
                }
                7 => {
                    // A header that claims a lot (up to the whole u32 range).
                    let magic = if rng.below(2) == 0 {
                        MAGIC_RES
                    } else {
                        MAGIC_REQ
                    };
                    for v in [magic, rng.below(43) as u32, rng.next() as u32] {
                        out.extend_from_slice(&v.to_be_bytes());
                    }
                }
                _ => {
                    let n = rng.below(16) as usize;
                    out.extend_from_slice(&rng.bytes(n));
                }
            }
        }
        out.to_vec()
    }

    /// Inputs for the bodies: parameter bytes, cut lengths, then a stream.
    fn corpus(seed: u64, params: usize, cases: usize) -> Vec<Vec<u8>> {
        let mut rng = Rng(seed);
        (0..cases)
            .map(|_| {
                let mut input = rng.bytes(params);
                let ncuts = rng.below(16) as u8;
                input.push(ncuts);
                for _ in 0..ncuts {
                    input.push(rng.below(40) as u8);
                }
                input.extend(stream(&mut rng));
                input
            })
            .collect()
    }

    #[test]
    fn fuzz_batch_codec_over_a_generated_corpus() {
        for input in corpus(0x9e37_79b9_7f4a_7c15, 1, 3000) {
            batch_codec(&input);
        }
        // Short and empty inputs, and one byte per read.
        for input in [
            &b""[..],
            b"\x06",
            b"\x06\x00",
            b"\x06\x00\0RES\0\0\0\x06\0\0\0",
        ] {
            batch_codec(input);
        }
    }

    #[test]
    fn fuzz_batch_codec_sees_a_huge_claim_trickled_in() {
        // Default limit, 15 one-byte reads after a header claiming 200 MiB.
        let mut input = vec![6, 15];
        input.extend([0; 15]);
        input.extend_from_slice(b"\0RES\0\0\0\x1c");
        input.extend_from_slice(&(200u32 << 20).to_be_bytes());
        input.extend_from_slice(&[b'x'; 40]);
        batch_codec(&input);
    }

    #[test]
    fn fuzz_parse_field_ranges_over_a_generated_corpus() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..3000 {
            let letters = rng.below(10) as usize;
            let mut input = vec![letters as u8];
            input.extend(rng.bytes(letters));
            input.extend_from_slice(b"\0RES");
            input.extend_from_slice(&(rng.below(43) as u32).to_be_bytes());
            input.extend_from_slice(&(rng.below(60) as u32).to_be_bytes());
            let n = rng.below(40) as usize;
            input.extend(rng.bytes(n));
            parse_field_ranges(&input);
            // Cut anywhere: short buffers, lying lengths.
            let keep = rng.below(input.len() as u64 + 1) as usize;
            parse_field_ranges(&input[..keep]);
        }
    }

    #[test]
    fn fuzz_admin_reply_over_a_generated_corpus() {
        const LINES: [&[u8]; 10] = [
            b"OK\r\n",
            b"ERR UNKNOWN_COMMAND Unknown+server+command\r\n",
            b".\n",
            b"fn\t1\t0\t2\n",
            b"30 127.0.0.1 - : fn\n",
            b"OK 1.1.20\n",
            b"12345\n",
            b"\0\xff garbage without end",
            b"fn\t1\t2\t3\t4\n",
            b"\r\n",
        ];
        let mut rng = Rng(0x0f1e_2d3c_4b5a_6978);
        for _ in 0..3000 {
            let kinds = rng.below(16) as usize;
            let mut input = vec![rng.below(64) as u8, kinds as u8];
            input.extend(rng.bytes(kinds));
            let ncuts = rng.below(16) as u8;
            input.push(ncuts);
            for _ in 0..ncuts {
                input.push(rng.below(20) as u8);
            }
            for _ in 0..rng.below(10) {
                input.extend_from_slice(LINES[rng.below(LINES.len() as u64) as usize]);
            }
            admin_reply(&input);
        }
    }
}

//! Feeds the input, cut into pieces chosen by its first bytes, into the `Decoder` and into a
//! `scan` caller with a growing buffer, and checks that both see the same packets and errors.
//!
//! Input: byte 0 = flags (bit 0: magic, bits 1-2: packet size limit), byte 1 = number of cuts
//! (mod 16), then one byte per cut (piece length - 1), then the stream.
#![no_main]

use gearmanode::protocol::{scan, spec, Decoder, Magic, ProtocolError, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum Event {
    Known(u32, Vec<u8>, Vec<Vec<u8>>),
    Unknown(u32),
    Fatal(ProtocolError),
}

fn u(v: u32) -> usize {
    usize::try_from(v).expect("u32 fits usize")
}

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = data.split_first().unwrap_or((&0, &[]));
    let (ncuts, rest) = rest.split_first().unwrap_or((&0, &[]));
    let ncuts = usize::from(*ncuts % 16).min(rest.len());
    let (cuts, stream) = rest.split_at(ncuts);
    let expect = if flags & 1 == 0 {
        Magic::Res
    } else {
        Magic::Req
    };
    let max = match (flags >> 1) & 3 {
        0 => 12,
        1 => 64,
        2 => 4096,
        _ => gearmanode::protocol::DEFAULT_MAX_PACKET_SIZE,
    };

    let mut pieces = Vec::new();
    let mut at = 0usize;
    for c in cuts {
        let end = (at + usize::from(*c) + 1).min(stream.len());
        pieces.push(&stream[at..end]);
        at = end;
    }
    pieces.push(&stream[at..]);

    let mut decoder = Decoder::new(expect, max);
    let mut from_decoder = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut from_scan = Vec::new();
    let mut scan_dead = false;
    for piece in pieces {
        decoder.push(piece);
        if decoder.fatal_error().is_none() {
            loop {
                match decoder.next_packet() {
                    Ok(None) => break,
                    Ok(Some(p)) => {
                        let args = p.args().into_iter().map(<[u8]>::to_vec).collect();
                        from_decoder.push(Event::Known(p.code, p.body.to_vec(), args));
                    }
                    Err(ProtocolError::UnknownType { code }) => {
                        from_decoder.push(Event::Unknown(code))
                    }
                    Err(e) => {
                        assert!(e.is_fatal());
                        assert_eq!(decoder.next_packet(), Err(e.clone()), "fatal is sticky");
                        from_decoder.push(Event::Fatal(e));
                        break;
                    }
                }
            }
        }
        if scan_dead {
            continue;
        }
        buf.extend_from_slice(piece);
        let mut frames = Vec::new();
        let s = scan(&buf, expect, max, &mut frames);
        assert!(s.consumed <= buf.len());
        let mut i = 0;
        let mut prev = 0usize;
        let mut n = 0;
        while i < frames.len() {
            let (code, start, end, argc) = (
                frames[i],
                u(frames[i + 1]),
                u(frames[i + 2]),
                u(frames[i + 3]),
            );
            assert_eq!(start, prev);
            assert!(start + HEADER_LEN <= end && end <= s.consumed);
            let args = (0..argc)
                .map(|a| buf[u(frames[i + 4 + 2 * a])..u(frames[i + 5 + 2 * a])].to_vec())
                .collect();
            from_scan.push(match spec(code) {
                Some(_) => Event::Known(code, buf[start + HEADER_LEN..end].to_vec(), args),
                None => Event::Unknown(code),
            });
            prev = end;
            i += 4 + 2 * argc;
            n += 1;
        }
        assert_eq!(prev, s.consumed);
        assert_eq!(n, s.packets);
        buf.drain(..s.consumed);
        if let Some(total) = s.pending_total {
            assert!(buf.len() >= HEADER_LEN && buf.len() < total && total <= max);
        }
        if let Some(e) = s.error {
            from_scan.push(Event::Fatal(e));
            scan_dead = true;
        }
    }
    assert_eq!(from_decoder, from_scan);
    if !scan_dead {
        assert_eq!(decoder.buffered(), buf.len());
    }
});

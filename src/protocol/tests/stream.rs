//! A stream of packets split at every byte offset, or fed byte by byte, decodes the same.

use super::{decode_both, stream_of, Event};
use crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE;
use crate::protocol::error::ProtocolError;
use crate::protocol::oracle::Decoder;
use crate::protocol::packet::{Magic, PACKETS};

/// One packet of every type with a non-empty Data argument that contains NUL and bytes that
/// look like a header, then a few edge cases.
fn sample_stream() -> (Vec<u8>, Vec<Event>) {
    let mut packets: Vec<(u32, Vec<Vec<u8>>)> = PACKETS
        .iter()
        .map(|s| {
            let args = s
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| match a.kind {
                    crate::protocol::packet::ArgKind::Text => format!("{}{i}", a.name).into_bytes(),
                    crate::protocol::packet::ArgKind::Data => {
                        b"\0RES\0\0\0\x06\0\0\0\0tail".to_vec()
                    }
                })
                .collect();
            (s.code, args)
        })
        .collect();
    packets.push((13, vec![b"H:1".to_vec(), Vec::new()]));
    packets.push((6, vec![]));
    packets.push((11, vec![Vec::new(), Vec::new(), vec![0; 40]]));
    let bytes = stream_of(Magic::Res, &packets);
    let events = packets
        .into_iter()
        .map(|(code, args)| Event::Known(code, args.join(&0u8), args))
        .collect();
    (bytes, events)
}

#[test]
fn protocol_stream_split_at_every_offset() {
    let (bytes, want) = sample_stream();
    assert_eq!(
        decode_both(Magic::Res, DEFAULT_MAX_PACKET_SIZE, &[&bytes]),
        want
    );
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(
            decode_both(Magic::Res, DEFAULT_MAX_PACKET_SIZE, &[a, b]),
            want,
            "cut at {cut}"
        );
    }
}

#[test]
fn protocol_stream_split_at_every_pair_of_offsets_in_a_short_stream() {
    let packets = vec![
        (8, vec![b"H:vm:1".to_vec()]),
        (13, vec![b"H:vm:1".to_vec(), b"r\0s".to_vec()]),
        (10, vec![]),
    ];
    let bytes = stream_of(Magic::Res, &packets);
    let want: Vec<Event> = packets
        .into_iter()
        .map(|(code, args)| Event::Known(code, args.join(&0u8), args))
        .collect();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            let pieces = [&bytes[..i], &bytes[i..j], &bytes[j..]];
            assert_eq!(decode_both(Magic::Res, 1 << 20, &pieces), want, "{i} {j}");
        }
    }
}

#[test]
fn protocol_stream_byte_by_byte() {
    let (bytes, want) = sample_stream();
    let pieces: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        decode_both(Magic::Res, DEFAULT_MAX_PACKET_SIZE, &pieces),
        want
    );
}

#[test]
fn protocol_stream_unknown_types_are_framed_and_skipped() {
    let mut bytes = stream_of(Magic::Res, &[(5, vec![b"x\0y".to_vec()])]);
    bytes.extend(stream_of(Magic::Res, &[(1000, vec![])]));
    bytes.extend(stream_of(Magic::Res, &[(6, vec![])]));
    let want = vec![
        Event::Unknown(5),
        Event::Unknown(1000),
        Event::Known(6, vec![], vec![]),
    ];
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(
            decode_both(Magic::Res, 1 << 20, &[a, b]),
            want,
            "cut at {cut}"
        );
    }
}

#[test]
fn protocol_stream_bad_magic_after_good_packets_is_fatal() {
    let mut bytes = stream_of(Magic::Res, &[(6, vec![])]);
    bytes.extend(stream_of(Magic::Req, &[(9, vec![])]));
    bytes.extend(stream_of(Magic::Res, &[(6, vec![])]));
    let fatal = Event::Fatal(ProtocolError::BadMagic { found: 0x0052_4551 });
    let want = vec![Event::Known(6, vec![], vec![]), fatal];
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(
            decode_both(Magic::Res, 1 << 20, &[a, b]),
            want,
            "cut at {cut}"
        );
    }
    // The error stays: a later call returns it again.
    let mut d = Decoder::new(Magic::Res, 1 << 20);
    d.push(&bytes);
    let _ = d.next_packet();
    assert!(d.next_packet().is_err());
    assert!(d.next_packet().is_err());
}

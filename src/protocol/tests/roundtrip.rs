//! Every packet type encodes and decodes back, through the Decoder and through scan.

use super::{decode_both, stream_of, Event};
use crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE;
use crate::protocol::packet::{ArgKind, Magic, PacketSpec, PACKETS};
use crate::protocol::scan::parse_fields;
use proptest::prelude::*;

fn arg_strategy(kind: ArgKind) -> BoxedStrategy<Vec<u8>> {
    match kind {
        // Text: anything but NUL, empty included.
        ArgKind::Text => prop::collection::vec(1u8..=255, 0..12).boxed(),
        // Data: any bytes, NULs included.
        ArgKind::Data => prop::collection::vec(any::<u8>(), 0..300).boxed(),
    }
}

fn packet_strategy() -> impl Strategy<Value = (&'static PacketSpec, Vec<Vec<u8>>)> {
    prop::sample::select(PACKETS.iter().collect::<Vec<_>>()).prop_flat_map(|spec| {
        let args: Vec<_> = spec.args.iter().map(|a| arg_strategy(a.kind)).collect();
        (Just(spec), args)
    })
}

fn expected(code: u32, args: &[Vec<u8>]) -> Event {
    Event::Known(code, args.join(&0u8), args.to_vec())
}

#[test]
fn protocol_every_type_round_trips_with_empty_and_binary_args() {
    for spec in PACKETS {
        for magic in [Magic::Req, Magic::Res] {
            let samples: [Vec<Vec<u8>>; 2] = [
                spec.args.iter().map(|_| Vec::new()).collect(),
                spec.args
                    .iter()
                    .map(|a| match a.kind {
                        ArgKind::Text => a.name.as_bytes().to_vec(),
                        ArgKind::Data => b"\0bin\0\xff\x00ary\0".to_vec(),
                    })
                    .collect(),
            ];
            for args in samples {
                let bytes = stream_of(magic, &[(spec.code, args.clone())]);
                let got = decode_both(magic, DEFAULT_MAX_PACKET_SIZE, &[&bytes]);
                assert_eq!(got, vec![expected(spec.code, &args)], "{}", spec.name);
            }
        }
    }
}

#[test]
fn protocol_response_formats_parse_what_was_encoded() {
    // gearmanode's parse formats read back the encoded response arguments.
    let cases: [(u32, &str, &[&[u8]]); 5] = [
        (11, "nnb", &[b"H:1", b"fn", b"pay\0load"]),
        (20, "nnnnL", &[b"H:1", b"1", b"0", b"3", b"4"]),
        (19, "nL", &[b"CODE", b"some text"]),
        (31, "nnnb", &[b"H:2", b"f", b"", b"x"]),
        (6, "", &[]),
    ];
    for (code, format, args) in cases {
        let owned: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        let buf = stream_of(Magic::Res, &[(code, owned)]);
        let (consumed, ranges) = parse_fields(&buf, format).unwrap();
        let fields: Vec<&[u8]> = ranges.iter().map(|&(s, e)| &buf[s..e]).collect();
        assert_eq!(fields, args.to_vec(), "{format}");
        // Except after an empty 'n' at the very end, the offset lands on the packet end.
        assert_eq!(consumed, buf.len(), "{format}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn protocol_prop_round_trip((spec, args) in packet_strategy(), res in any::<bool>()) {
        let magic = if res { Magic::Res } else { Magic::Req };
        let bytes = stream_of(magic, &[(spec.code, args.clone())]);
        let got = decode_both(magic, DEFAULT_MAX_PACKET_SIZE, &[&bytes]);
        prop_assert_eq!(got, vec![expected(spec.code, &args)]);
    }

    #[test]
    fn protocol_prop_streams_split_anywhere(
        packets in prop::collection::vec(packet_strategy(), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let packets: Vec<(u32, Vec<Vec<u8>>)> =
            packets.into_iter().map(|(s, a)| (s.code, a)).collect();
        let bytes = stream_of(Magic::Res, &packets);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut last = 0;
        for p in points {
            pieces.push(&bytes[last..p]);
            last = p;
        }
        pieces.push(&bytes[last..]);
        let want: Vec<Event> = packets.iter().map(|(c, a)| expected(*c, a)).collect();
        prop_assert_eq!(decode_both(Magic::Res, DEFAULT_MAX_PACKET_SIZE, &pieces), want);
    }
}

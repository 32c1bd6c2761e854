//! Rendezvous (highest-random-weight) hashing of unique ids over the job servers, for the `Hash`
//! strategy.
//!
//! Every server has a key (a hash of its name, `host:port`), every unique id a key, and each pair a
//! weight; an id's order of preference is the servers by falling weight. So:
//! - clients that name the same servers pick the same server for an id, whatever the order of their
//!   lists;
//! - one more server takes the ids it weighs most (about 1/(n+1) of them), and no id moves between
//!   the servers that were there; a server that goes away gives each of its ids to that id's next
//!   choice, and the other ids stay where they were.
//!
//! Clients of different versions share the servers, so the hash is spelled out here and must never
//! change: FNV-1a over the bytes, then murmur3's 64-bit finaliser (FNV alone leaves short strings
//! poorly mixed in the high bits, which decide the comparisons).

use std::cmp::Reverse;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// murmur3's `fmix64`: a bijection whose every output bit depends on every input bit.
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The key of a server name or of a unique id (its bytes as they go on the wire).
pub fn key(bytes: &[u8]) -> u64 {
    let h = bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    });
    fmix64(h)
}

/// The weight of server `node` for id `id` (both keys). For one id, servers with different keys
/// never tie: `fmix64` is a bijection and `node ^ id` differs.
pub fn weight(node: u64, id: u64) -> u64 {
    fmix64(node ^ id)
}

/// The servers (indexes into `nodes`) in `id`'s order of preference: highest weight first.
pub fn order(id: u64, nodes: &[u64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..nodes.len()).collect();
    // The index breaks ties between equal keys (two servers of the same name), so the order is
    // still the same in every client.
    idx.sort_by_key(|&i| (Reverse(weight(nodes[i], id)), i));
    idx
}

/// What [`pick`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The server to use, or `None` when every one is marked bad and none has recovered.
    pub chosen: Option<usize>,
    /// Whether `chosen` was marked bad and its mark has expired (the caller marks it good again).
    pub recovered: bool,
}

/// The server for `id`: the first in its order that is not marked bad, or whose bad mark is older
/// than `recover_time` (strictly, as `now - mark > recoverTime` in JS: false for a NaN mark or
/// recover time). So an id goes back to its own server as soon as that server's mark expires.
///
/// `marks` are `(index, mark)` pairs as the JS strategy keeps them (`badNodes`: index → the time it
/// was marked bad, ms); keys that are not an index of `nodes` are ignored.
pub fn pick(id: u64, nodes: &[u64], recover_time: f64, now: f64, marks: &[(f64, f64)]) -> Pick {
    let mut mark_of: Vec<Option<f64>> = vec![None; nodes.len()];
    for &(k, m) in marks {
        if k >= 0.0 && k.fract() == 0.0 && k < nodes.len() as f64 {
            // In range and whole: the cast is exact.
            mark_of[k as usize] = Some(m);
        }
    }
    for i in order(id, nodes) {
        match mark_of[i] {
            None => {
                return Pick {
                    chosen: Some(i),
                    recovered: false,
                }
            }
            Some(m) if now - m > recover_time => {
                return Pick {
                    chosen: Some(i),
                    recovered: true,
                }
            }
            Some(_) => {}
        }
    }
    Pick {
        chosen: None,
        recovered: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(n: usize) -> Vec<u64> {
        (0..n)
            .map(|i| key(format!("10.0.0.{i}:4730").as_bytes()))
            .collect()
    }

    fn ids(n: usize) -> impl Iterator<Item = u64> {
        (0..n).map(|i| key(format!("job-{i}").as_bytes()))
    }

    fn first(id: u64, nodes: &[u64]) -> usize {
        order(id, nodes)[0]
    }

    #[test]
    fn the_hash_is_fixed() {
        // Known answers (from an independent implementation of the same formula): clients of every
        // version must agree on them, so a change here breaks coalescing across a cluster.
        assert_eq!(key(b"a"), 0x82a2_a958_a9be_ce5b);
        assert_eq!(key(b"127.0.0.1:4730"), 0x61bc_47eb_c974_a579);
        let nodes: Vec<u64> = (4730..4733)
            .map(|p| key(format!("127.0.0.1:{p}").as_bytes()))
            .collect();
        assert_eq!(order(key(b"order-1"), &nodes), [1, 0, 2]);
        assert_eq!(order(key(b"order-2"), &nodes), [2, 0, 1]);
        assert_eq!(order(key(b"order-4"), &nodes), [1, 0, 2]);
    }

    #[test]
    fn an_order_lists_every_server_once() {
        let nodes = servers(7);
        for id in ids(200) {
            let mut o = order(id, &nodes);
            o.sort_unstable();
            assert_eq!(o, (0..7).collect::<Vec<_>>());
        }
        assert!(order(1, &[]).is_empty());
    }

    #[test]
    fn the_list_order_does_not_matter() {
        let nodes = servers(5);
        let mut reversed = nodes.clone();
        reversed.reverse();
        for id in ids(2000) {
            assert_eq!(nodes[first(id, &nodes)], reversed[first(id, &reversed)]);
        }
    }

    #[test]
    fn ids_spread_evenly() {
        for n in [2usize, 3, 5, 10] {
            let nodes = servers(n);
            let total = 60_000;
            let mut count = vec![0usize; n];
            for id in ids(total) {
                count[first(id, &nodes)] += 1;
            }
            let fair = total / n;
            for c in count {
                // 5% of the fair share: far outside the statistical noise of a fair hash.
                assert!(c.abs_diff(fair) < fair / 20, "n={n}: {c} vs {fair}");
            }
        }
    }

    #[test]
    fn one_more_server_moves_about_one_in_n_ids_and_only_to_itself() {
        let old = servers(4);
        let grown = servers(5);
        let total = 50_000;
        let mut moved = 0usize;
        for id in ids(total) {
            let (a, b) = (first(id, &old), first(id, &grown));
            if a != b {
                assert_eq!(
                    b, 4,
                    "an id moved between two servers that were there before"
                );
                moved += 1;
            }
        }
        let expected = total / 5;
        assert!(moved.abs_diff(expected) < expected / 10, "{moved} moved");
    }

    #[test]
    fn a_server_that_goes_away_gives_each_id_to_its_next_choice() {
        let nodes = servers(3);
        let (mut stayed, mut moved) = (0, [0usize; 3]);
        for id in ids(3000) {
            let o = order(id, &nodes);
            let p = pick(id, &nodes, 30_000.0, 1000.0, &[(1.0, 999.0)]);
            assert!(!p.recovered);
            if o[0] == 1 {
                assert_eq!(p.chosen, Some(o[1]));
                moved[o[1]] += 1;
            } else {
                assert_eq!(p.chosen, Some(o[0]));
                stayed += 1;
            }
        }
        // Its ids are shared by both others, not dumped on one.
        assert!(moved[0] > 300 && moved[2] > 300, "{moved:?}");
        assert!(stayed > 1800);
    }

    #[test]
    fn pick_follows_the_marks() {
        let nodes = servers(3);
        let id = key(b"x");
        let o = order(id, &nodes);
        let mark = |i: usize, m: f64| (i as f64, m);
        // All good: the first choice.
        let p = pick(id, &nodes, 20.0, 100.0, &[]);
        assert_eq!(p.chosen, Some(o[0]));
        // First two fresh-bad: the third.
        let fresh = [mark(o[0], 90.0), mark(o[1], 90.0)];
        assert_eq!(pick(id, &nodes, 20.0, 100.0, &fresh).chosen, Some(o[2]));
        // All fresh-bad: none.
        let all = [mark(0, 90.0), mark(1, 90.0), mark(2, 90.0)];
        assert_eq!(pick(id, &nodes, 20.0, 100.0, &all).chosen, None);
        // The first choice's mark expired (strictly older than the recover time): back to it.
        let p = pick(id, &nodes, 20.0, 100.0, &[mark(o[0], 79.0)]);
        assert_eq!(
            p,
            Pick {
                chosen: Some(o[0]),
                recovered: true
            }
        );
        assert_eq!(
            pick(id, &nodes, 20.0, 100.0, &[mark(o[0], 80.0)]).chosen,
            Some(o[1])
        );
        // NaN marks and recover times never expire; keys that are no index are ignored.
        assert_eq!(
            pick(id, &nodes, 20.0, 100.0, &[mark(o[0], f64::NAN)]).chosen,
            Some(o[1])
        );
        assert_eq!(
            pick(id, &nodes, f64::NAN, 100.0, &[mark(o[0], 0.0)]).chosen,
            Some(o[1])
        );
        let junk = [(0.5, 0.0), (-1.0, 0.0), (3.0, 0.0), (f64::NAN, 0.0)];
        assert_eq!(pick(id, &nodes, 20.0, 100.0, &junk).chosen, Some(o[0]));
        assert_eq!(pick(id, &[], 20.0, 100.0, &[]).chosen, None);
    }
}

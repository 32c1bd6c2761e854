//! The decision of the JS `LBStrategy#_searchNextGood` on JS numbers (Sequence and RoundRobin).
//!
//! The JS facade keeps gearmanode's plain, writable fields (`nodeCount`, `badNodes`, `recoverTime`,
//! `lastIndex`), which users set to lax values (`RoundRobin(0)` has a NaN index, `Sequence(-1)`,
//! fractional counts), so this reproduces JavaScript's `f64` semantics exactly.

use std::collections::HashMap;

/// The `bad` argument of `_searchNextGood` as JavaScript's `i + bad` sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum JsBase {
    /// `bad` is (or converts to) a number: `i + bad` adds. Pass `0 + bad`, the same for every `i`.
    Number(f64),
    /// `bad` is (or converts to) a string `s`: `i + bad` concatenates, then `%` converts `i + s`.
    Text(String),
}

/// What [`search_next_good`] decided.
#[derive(Debug, Clone, PartialEq)]
pub struct JsSearch {
    /// The node to use (any JS number, NaN and -0 included), or `None` (JS `null`).
    pub chosen: Option<f64>,
    /// The expired nodes in visiting order: the caller passes each to `goodOne`.
    pub expired: Vec<f64>,
}

/// After this many visits that found neither a good nor an expired node, the scan gives up. With
/// finite integer indexes a scan visits each bad node at most once; only indexes beyond 2^53 or
/// infinite ones make JS revisit nodes, where gearmanode would loop for ages on the JS thread.
const MAX_FUTILE_VISITS: usize = 1 << 20;

/// `LBStrategy#_searchNextGood(bad)` on JS values: visits `(i + bad) % nodeCount` for `i = 0, 1, …`
/// while `i < nodeCount`, with JS `+` and `%` (`%` is `fmod`, as Rust's `f64 %`). The rule reads
/// `bad + i` (docs/COMPATIBILITY.md#load-balancing); gearmanode 0.9.2 computes `i + bad`, which
/// differs only for a string `bad` ('7' visits '07', '17', … so that `bad` itself comes first).
///
/// `marks` holds the own properties of `badNodes` whose key is a canonical number string (the only
/// keys a visit can hit, since a visit looks up `String(x)`), as `(key, +mark)` pairs. A node is bad
/// when its key is present; it has expired when `now - mark > recoverTime`, which is false for a NaN
/// mark or a NaN recover time, exactly as in JS.
pub fn search_next_good(
    bad: &JsBase,
    node_count: f64,
    recover_time: f64,
    now: f64,
    marks: &[(f64, f64)],
) -> JsSearch {
    let mut table: HashMap<u64, f64> = marks.iter().map(|&(k, m)| (key_bits(k), m)).collect();
    let mut expired = Vec::new();
    let mut futile = 0usize;
    let max_futile = MAX_FUTILE_VISITS.max(2 * marks.len() + 2);
    let mut i: u64 = 0;
    // `i as f64` is exact for every i this loop can reach (it stops long before 2^53).
    while (i as f64) < node_count && futile < max_futile {
        let x = match bad {
            JsBase::Number(b) => (i as f64 + b) % node_count,
            JsBase::Text(s) => js_string_to_number(&format!("{i}{s}")) % node_count,
        };
        match table.get(&key_bits(x)) {
            None => {
                return JsSearch {
                    chosen: Some(x),
                    expired,
                }
            }
            Some(&mark) if now - mark > recover_time => {
                // `goodOne` deletes the mark: a later visit of the same key finds a good node.
                table.remove(&key_bits(x));
                expired.push(x);
            }
            Some(_) => futile += 1,
        }
        i += 1;
    }
    JsSearch {
        chosen: expired.last().copied(),
        expired,
    }
}

/// The identity of a property key made from a number: `String(-0) === '0'`, and every NaN is 'NaN'.
fn key_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else if x == 0.0 {
        0f64.to_bits()
    } else {
        x.to_bits()
    }
}

/// JavaScript's `StringToNumber` (ECMA-262 §7.1.4.1.1): what `%` does to `i + bad` when `bad` is a
/// string. Rust's float parser accepts more (`inf`, `nan`) and knows no `0x`/`0o`/`0b`.
pub fn js_string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [(b"0x", 16), (b"0o", 8), (b"0b", 2)] {
        // Compare bytes: slicing a `str` inside a multi-byte char would panic.
        if t.len() > 2 && t.as_bytes()[..2].eq_ignore_ascii_case(prefix) {
            // Exact below 2^53; beyond, JS rounds the whole value once (a negligible difference).
            return t[2..]
                .chars()
                .try_fold(0f64, |acc, c| {
                    c.to_digit(radix)
                        .map(|d| acc * f64::from(radix) + f64::from(d))
                })
                .unwrap_or(f64::NAN);
        }
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    if unsigned == "Infinity" {
        return if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if !is_js_decimal(unsigned) {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: `1`, `1.`, `.5`, `1.5e-3`; at least one digit in
/// the mantissa, and digits after an exponent marker.
fn is_js_decimal(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(bad: f64, n: f64, rt: f64, now: f64, marks: &[(f64, f64)]) -> JsSearch {
        search_next_good(&JsBase::Number(bad), n, rt, now, marks)
    }

    fn found(x: f64) -> Option<f64> {
        Some(x)
    }

    fn nan(r: JsSearch) -> bool {
        r.chosen.is_some_and(f64::is_nan)
    }

    fn text(s: &str, n: f64, marks: &[(f64, f64)]) -> JsSearch {
        search_next_good(&JsBase::Text(s.to_owned()), n, 1e9, 0.0, marks)
    }

    fn out(chosen: f64, expired: &[f64]) -> JsSearch {
        JsSearch {
            chosen: found(chosen),
            expired: expired.to_vec(),
        }
    }

    #[test]
    fn js_search_visits_bad_first_and_returns_a_good_node_at_once() {
        let m = [(1.0, 100.0), (2.0, 100.0)];
        let r = js(1.0, 3.0, 30_000.0, 101.0, &m);
        assert_eq!(r.chosen, found(0.0));
        assert!(r.expired.is_empty());
        assert_eq!(js(3.0, 3.0, 30_000.0, 101.0, &m).chosen, found(0.0));
        assert_eq!(js(0.5, 3.0, 30_000.0, 101.0, &m).chosen, found(0.5));
        assert_eq!(js(-1.0, 3.0, 30_000.0, 101.0, &m).chosen, found(-1.0));
        let all = [(0.0, 100.0), (1.0, 100.0), (2.0, 100.0)];
        assert_eq!(js(0.0, 3.0, 30_000.0, 101.0, &all).chosen, None);
    }

    #[test]
    fn js_search_keeps_js_number_semantics() {
        // (-2 + 0) % 2 is -0, which JS returns as such; its key is '0'.
        let r = js(-2.0, 2.0, 30_000.0, 0.0, &[]);
        assert!(r.chosen.is_some_and(|x| x == 0.0 && x.is_sign_negative()));
        // Then (-2 + 1) % 2 = -1: key '-1', which `badOne` never matches.
        let r = js(-2.0, 2.0, 30_000.0, 0.0, &[(0.0, 0.0), (1.0, 0.0)]);
        assert_eq!(r.chosen, found(-1.0));
        // NaN and infinite indexes: `Infinity % 3` is NaN, and a NaN visit looks up 'NaN'.
        assert!(nan(js(f64::NAN, 2.0, 1.0, 0.0, &[])));
        assert!(nan(js(f64::INFINITY, 3.0, 1.0, 0.0, &[])));
        assert_eq!(js(f64::NAN, 2.0, 1.0, 0.0, &[(f64::NAN, 0.0)]).chosen, None);
        // No node at all, or a NaN count: the loop never runs.
        assert_eq!(js(0.0, 0.0, 1.0, 0.0, &[]).chosen, None);
        assert_eq!(js(0.0, f64::NAN, 1.0, 0.0, &[]).chosen, None);
        assert_eq!(js(0.0, -1.0, 1.0, 0.0, &[]).chosen, None);
        // Fractional count 2.5: three visits, 0.5 then 1.5 then 2.5 % 2.5 = 0.
        let m = [(0.5, 0.0), (1.5, 0.0)];
        assert_eq!(js(0.5, 2.5, 1e9, 0.0, &m).chosen, found(0.0));
        // An infinite count with a stuck index ends (JS would spin for ever).
        assert_eq!(
            js(f64::INFINITY, f64::INFINITY, 1e9, 0.0, &[(f64::NAN, 0.0)]).chosen,
            None
        );
        assert_eq!(
            js(5.0, f64::INFINITY, 1e9, 0.0, &[(5.0, 0.0)]).chosen,
            found(6.0)
        );
    }

    #[test]
    fn js_search_expiry() {
        // 1 and 2 expired, 0 fresh: both cleared in visiting order, the later one is chosen.
        let m = [(0.0, 1000.0), (1.0, 900.0), (2.0, 900.0)];
        assert_eq!(js(0.0, 3.0, 20.0, 1000.0, &m), out(2.0, &[1.0, 2.0]));
        // Expired first, then a good node: the good node wins, the expired one is still cleared.
        let m = [(0.0, 900.0), (1.0, 1000.0)];
        assert_eq!(js(0.0, 3.0, 20.0, 1000.0, &m), out(2.0, &[0.0]));
        // Strictly more than the recover time.
        assert_eq!(js(0.0, 1.0, 0.0, 5.0, &[(0.0, 5.0)]).chosen, None);
        assert_eq!(js(0.0, 1.0, 0.0, 6.0, &[(0.0, 5.0)]).chosen, found(0.0));
        // NaN mark (an invalid Date, a non-numeric string) or NaN recover time: never expires.
        assert_eq!(js(0.0, 1.0, -1.0, 5.0, &[(0.0, f64::NAN)]).chosen, None);
        assert_eq!(js(0.0, 1.0, f64::NAN, 5.0, &[(0.0, 0.0)]).chosen, None);
        assert_eq!(
            js(0.0, 1.0, f64::NEG_INFINITY, 5.0, &[(0.0, 4.0)]).chosen,
            found(0.0)
        );
        // A node revisited after it expired counts as good (`goodOne` deleted it).
        let r = js(0.0, f64::INFINITY, 20.0, 1000.0, &[(0.0, 0.0)]);
        assert_eq!(r, out(1.0, &[0.0]));
    }

    #[test]
    fn js_search_with_a_string_base_concatenates() {
        // 0 + '7' = '07' (bad itself first), then '17', '27': node 27 of 100.
        let m = [(7.0, 0.0), (17.0, 0.0)];
        assert_eq!(text("7", 100.0, &m).chosen, found(27.0));
        // '01' % 3 = 1 (bad), '11' % 3 = 2 (bad), '21' % 3 = 0.
        assert_eq!(text("1", 3.0, &[(1.0, 0.0), (2.0, 0.0)]).chosen, found(0.0));
        let all = [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)];
        assert_eq!(text("1", 3.0, &all).chosen, None);
        // '00x1' is no number; a Date as `bad` concatenates its text: NaN too.
        assert!(nan(text("0x1", 3.0, &[])));
        assert!(nan(text("Thu Jan 01 1970", 3.0, &[])));
    }

    #[test]
    fn string_to_number_follows_js() {
        let cases: [(&str, f64); 22] = [
            ("", 0.0),
            (" \t\n12 \u{a0}", 12.0),
            ("\u{feff}7", 7.0),
            ("0x1f", 31.0),
            ("0X1F", 31.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("1e3", 1000.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5e1", -5.0),
            ("+3", 3.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("007", 7.0),
            ("1E+2", 100.0),
            ("0", 0.0),
            ("10", 10.0),
            ("  -0  ", -0.0),
            ("123456789012345678901234567890", 1.2345678901234568e29),
            ("0x10000000000000", 4503599627370496.0),
            ("1e-2", 0.01),
        ];
        for (s, want) in cases {
            assert_eq!(js_string_to_number(s), want, "{s:?}");
        }
        for s in [
            "\u{85}7", "inf", "infinity", "nan", "NaN", ".", "e5", "1e", "1e+", "0x", "+0x1",
            "1_0", "--1", "1 2", "€1", "0xg", "1.2.3",
        ] {
            assert!(js_string_to_number(s).is_nan(), "{s:?}");
        }
    }
}

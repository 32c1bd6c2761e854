//! `#[napi]` adapter of the balancer room for `lib/gearmanode/load-balancing.js`.
//!
//! The JS `LBStrategy` keeps gearmanode's plain fields and calls this only when the current node is
//! bad (never on the common path), with everything as numbers so the crossing stays cheap.

use napi::bindgen_prelude::{Either, Float64Array, Float64ArraySlice};
use napi_derive::napi;

use crate::balancer::{search_next_good, JsBase};

/// The decision of `LBStrategy#_searchNextGood(bad)` (see `balancer::search_next_good`).
///
/// - `bad`: `0 + bad` in JS when that is a number, else the string `ToPrimitive(bad)` (then JS's
///   `i + bad` concatenates);
/// - `marks`: flat `[key, +mark, key, +mark, …]` for the own keys of `badNodes` that are canonical
///   number strings.
///
/// Returns `[found, chosen, ...expired]`: `found` is 1 when `chosen` is the answer and 0 for `null`
/// (`chosen` may itself be NaN or -0, so it cannot flag absence); the expired nodes come in visiting
/// order, for the caller to pass to `goodOne`.
#[napi(
    catch_unwind,
    js_name = "lbSearchNextGood",
    ts_args_type = "bad: number | string, nodeCount: number, recoverTime: number, now: number, marks: Float64Array"
)]
pub fn lb_search_next_good(
    bad: Either<f64, String>,
    node_count: f64,
    recover_time: f64,
    now: f64,
    marks: Float64ArraySlice<'_>,
) -> Float64Array {
    let base = match bad {
        Either::A(n) => JsBase::Number(n),
        Either::B(s) => JsBase::Text(s),
    };
    // An odd trailing element cannot come from load-balancing.js; `chunks_exact` drops it.
    let pairs: Vec<(f64, f64)> = marks.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let r = search_next_good(&base, node_count, recover_time, now, &pairs);
    let mut out = Vec::with_capacity(2 + r.expired.len());
    out.push(if r.chosen.is_some() { 1.0 } else { 0.0 });
    out.push(r.chosen.unwrap_or(0.0));
    out.extend(r.expired);
    Float64Array::new(out)
}

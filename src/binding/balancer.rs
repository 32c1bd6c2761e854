//! `#[napi]` adapter of the balancer room for `lib/gearmanode/load-balancing.js`.
//!
//! The JS `LBStrategy` keeps gearmanode's plain fields and calls this only when the current node is
//! bad (never on the common path), with everything as numbers so the crossing stays cheap. The
//! `Hash` strategy calls `lbHashPick` once per job with a unique id, with the server keys it got
//! from `lbHashKeys` when it was made.

use napi::bindgen_prelude::{
    BufferSlice, Either, Float64Array, Float64ArraySlice, Uint32Array, Uint32ArraySlice,
};
use napi_derive::napi;

use crate::balancer::{hash, search_next_good, JsBase};

/// Slots of a balancer decision, the `Float64Array` that `lbSearchNextGood` and `lbHashPick` return:
/// `[found, chosen, ...recovered]`. `Found` is 1 when `Chosen` is the answer and 0 for `null`
/// (`chosen` may itself be NaN or -0, so it cannot flag absence); from `Recovered` on come the nodes
/// whose bad mark has expired, in visiting order, for the caller to pass to `goodOne`.
#[napi]
pub enum DecisionSlot {
    /// 1: `Chosen` is the answer; 0: none (every node is bad).
    Found = 0,
    /// The chosen node's index.
    Chosen = 1,
    /// The first recovered node.
    Recovered = 2,
}

/// The decision of `LBStrategy#_searchNextGood(bad)` (see `balancer::search_next_good`).
///
/// - `bad`: `0 + bad` in JS when that is a number, else the string `ToPrimitive(bad)` (then JS's
///   `i + bad` concatenates);
/// - `marks`: flat `[key, +mark, key, +mark, …]` for the own keys of `badNodes` that are canonical
///   number strings.
///
/// Returns a decision laid out as [`DecisionSlot`] says.
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
    let r = search_next_good(&base, node_count, recover_time, now, &pairs_of(&marks));
    let mut out = Vec::with_capacity(2 + r.expired.len());
    out.push(if r.chosen.is_some() { 1.0 } else { 0.0 });
    out.push(r.chosen.unwrap_or(0.0));
    out.extend(r.expired);
    Float64Array::new(out)
}

/// `[key, mark, key, mark, …]` as pairs. An odd trailing element cannot come from
/// load-balancing.js; `chunks_exact` drops it.
fn pairs_of(marks: &[f64]) -> Vec<(f64, f64)> {
    marks.chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

/// The keys of the servers for `lbHashPick`/`lbHashOrder`: a 64-bit hash of each name (`host:port`),
/// as `[high, low]` 32-bit pairs (a JS number cannot hold 64 bits).
#[napi(catch_unwind, js_name = "lbHashKeys")]
pub fn lb_hash_keys(names: Vec<String>) -> Uint32Array {
    let mut out = Vec::with_capacity(2 * names.len());
    for name in &names {
        let k = hash::key(name.as_bytes());
        // Split on purpose: the halves of a u64.
        out.push((k >> 32) as u32);
        out.push(k as u32);
    }
    Uint32Array::new(out)
}

/// Server keys back from their `[high, low]` pairs (an odd trailing element is dropped).
fn keys_of(pairs: &[u32]) -> Vec<u64> {
    pairs
        .chunks_exact(2)
        .map(|p| (u64::from(p[0]) << 32) | u64::from(p[1]))
        .collect()
}

/// The key of a unique id: its bytes on the wire (a string as UTF-8, a Buffer raw).
fn id_key(id: &Either<String, BufferSlice<'_>>) -> u64 {
    match id {
        Either::A(s) => hash::key(s.as_bytes()),
        Either::B(b) => hash::key(b),
    }
}

/// The server for a unique id under `Hash` (see `balancer::hash::pick`), as a decision laid out as
/// [`DecisionSlot`] says (the chosen server is also `Recovered` when its bad mark has expired).
/// `marks` as for `lbSearchNextGood`.
#[napi(
    catch_unwind,
    js_name = "lbHashPick",
    ts_args_type = "id: string | Buffer, keys: Uint32Array, recoverTime: number, now: number, marks: Float64Array"
)]
pub fn lb_hash_pick(
    id: Either<String, BufferSlice<'_>>,
    keys: Uint32ArraySlice<'_>,
    recover_time: f64,
    now: f64,
    marks: Float64ArraySlice<'_>,
) -> Float64Array {
    let p = hash::pick(
        id_key(&id),
        &keys_of(&keys),
        recover_time,
        now,
        &pairs_of(&marks),
    );
    let mut out = Vec::with_capacity(3);
    match p.chosen {
        // Indexes of a server list: exact as f64.
        Some(i) => {
            out.push(1.0);
            out.push(i as f64);
            if p.recovered {
                out.push(i as f64);
            }
        }
        None => out.extend([0.0, 0.0]),
    }
    Float64Array::new(out)
}

/// The servers in a unique id's order of preference under `Hash`, ignoring bad marks.
#[napi(
    catch_unwind,
    js_name = "lbHashOrder",
    ts_args_type = "id: string | Buffer, keys: Uint32Array"
)]
pub fn lb_hash_order(
    id: Either<String, BufferSlice<'_>>,
    keys: Uint32ArraySlice<'_>,
) -> Uint32Array {
    let order = hash::order(id_key(&id), &keys_of(&keys));
    // A server list never holds 2^32 servers.
    Uint32Array::new(order.into_iter().map(|i| i as u32).collect())
}

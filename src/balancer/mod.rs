//! Load-balancing arithmetic (docs/COMPATIBILITY.md#load-balancing): the decisions of the JS
//! strategies in `lib/gearmanode/load-balancing.js` that are more than one step.
//!
//! Pure arithmetic over node indexes, keys and timestamps: no tokio, no napi, no clock (time is
//! passed in as milliseconds since the epoch).
//! - [`search`]: `Sequence` and `RoundRobin` looking for a good node once theirs is marked bad, on
//!   JS numbers (the JS objects keep gearmanode's plain, writable fields);
//! - [`hash`]: the `Hash` strategy, rendezvous hashing of unique ids over the servers.

pub mod hash;
pub mod search;

pub use search::{js_string_to_number, search_next_good, JsBase, JsSearch};

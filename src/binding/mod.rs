//! `#[napi]` items only: argument conversion, error mapping, event batching.
//! No protocol logic lives here; every item adapts a room of the core for JavaScript.

pub mod balancer;
pub mod codec;
pub mod connection;
pub mod logging;
pub mod values;

use napi_derive::napi;

/// Version of the Rust core (the crate version).
#[napi]
pub fn core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

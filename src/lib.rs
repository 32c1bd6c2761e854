//! Rust core of `gearmanode`, the Node.js client and worker library for the Gearman job server.
//!
//! The crate is split into rooms (see docs/ARCHITECTURE.md#rooms):
//! - [`protocol`]: sans-IO Gearman codec (binary packets 1–42, the admin text protocol);
//! - [`balancer`]: load-balancing arithmetic (Sequence, RoundRobin, recover time, Hash);
//! - [`transport`]: tokio connections that read, decode, batch and write frames;
//! - [`binding`]: the `#[napi]` surface that adapts the rooms above for JavaScript;
//! - [`codes`]: the error codes of all rooms, as data.

pub mod balancer;
pub mod binding;
pub mod codes;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod protocol;
pub mod transport;

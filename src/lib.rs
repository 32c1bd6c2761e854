//! Rust core of `gearmanode`, the Node.js client and worker library for the Gearman job server.
//!
//! The crate is split into rooms (see `DESIGN.md`):
//! - [`protocol`]: sans-IO Gearman codec (binary packets 1–42, the admin text protocol);
//! - [`balancer`]: load-balancing arithmetic (Sequence, RoundRobin, recover time, Hash);
//! - [`transport`]: tokio connections that read, decode, batch and write frames;
//! - [`binding`]: the `#[napi]` surface that adapts the rooms above for JavaScript.

pub mod balancer;
pub mod binding;
pub mod protocol;
pub mod transport;

//! The pieces of the `tessera` binary that tests share: opening the store named by a URL,
//! loading the server key, and booting the server on a listener.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod backend;
pub mod boot;
pub mod client;
pub mod key;

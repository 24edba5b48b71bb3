//! The pieces of the `tessera` binary that tests share: opening the store named by a URL,
//! loading the server key, booting the server on a listener, the management-API commands
//! ([`client`]) and the user sign-in commands ([`account`]).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod account;
pub mod backend;
pub mod boot;
pub mod client;
pub mod config_file;
pub mod db_args;
pub mod key;
pub mod output;
pub mod serve;

//! A Rust client for Tessera that keeps tokens fresh so callers never think about expiry.
//!
//! Layout:
//! - [`Client`]: the app's token (cached, refreshed before expiry with one request in flight
//!   however many tasks ask), users' tokens (refreshed with their single-use refresh token
//!   under a per-user lock, the rotated one saved), calls on behalf of the app or a user, and
//!   device authorization (RFC 8628) to get a user's token without a browser on the device.
//! - [`store`]: where user tokens live, one entry per (app, account): [`store::FileStore`]
//!   (files 0600, encrypted with ChaCha20-Poly1305 under a key file) and
//!   [`store::MemoryStore`].
//! - [`error`]: typed errors; a refused call names its missing scopes (DingTalk 403
//!   `accessdenieddetail`, Feishu 99991672/99991679 `permission_violations`).
//! - [`clock`]: the time source (a manual clock for tests).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
pub mod clock;
pub mod error;
pub mod store;

pub use client::{Client, Config, DeviceAuthorization, Identity};
pub use error::{ClientError, StoreError};
pub use store::{FileStore, MemoryStore, StoredToken, TokenStore};

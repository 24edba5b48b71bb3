//! Tessera's domain core: the vocabulary of `docs/design.md` as types, the built-in scope
//! catalogue, the rules for issuing tokens and the authorization decision.
//!
//! Layout:
//! - [`time`]: `UnixTime` and the `Clock` trait (the core never reads the clock itself).
//! - [`ids`]: validated identifiers (corp ids, client ids, user ids, scope codes).
//! - [`secret`]: redacted secrets, keyed hashes for client secrets, SHA-256 for tokens.
//! - [`org`], [`member`], [`app`], [`scope`], [`catalog`], [`permission`], [`installation`],
//!   [`grant`], [`token`], [`audit`]: the concepts.
//! - [`change`]: the writes a command decides on, applied by a store in one transaction.
//! - [`decision`]: the one pure function that says whether a token may call a route.
//! - [`consent`], [`grant_code`], [`pkce`], [`refresh`], [`session`]: user identity: consent,
//!   authorization codes, PKCE, refresh-token families, sign-in sessions.
//! - [`oidc`]: OpenID Connect settings of apps, profile claims of users, subjects.
//! - [`signing_key`]: signing keys of JWTs and their rotation schedule.
//! - [`callback_address`]: which addresses an outbound callback may reach (public unicast only).
//! - [`suite`]: third-party enterprise apps as ISV suites: tickets, derived secrets, legacy signatures.
//! - [`feishu_event`]: Feishu's event envelope for a store app's `app_ticket` (plain or encrypted, signed).
//! - [`device`]: device authorization (RFC 8628): codes, states, polling interval, expiry.
//! - [`document`]: the sample API's documents with access lists.
//! - [`lifecycle`]: requesting scopes, review, activation.
//! - [`registration`]: registering an app, its redirect URIs, rotating its secret.
//! - [`explain`]: why a call is refused and what to do next.
//! - [`fixture`]: the TOML fixture format and its plan against existing state.
//! - [`error`]: the typed domain errors every dialect maps to its own wire format.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod audit;
pub mod callback_address;
pub mod catalog;
pub mod change;
pub mod consent;
pub mod decision;
pub mod device;
pub mod document;
pub mod error;
pub mod explain;
pub mod feishu_event;
pub mod fixture;
pub mod grant;
pub mod grant_code;
pub mod ids;
pub mod installation;
pub mod lifecycle;
pub mod member;
pub mod oidc;
pub mod org;
pub mod permission;
pub mod pkce;
pub mod refresh;
pub mod registration;
pub mod scope;
pub mod secret;
pub mod session;
pub mod signing_key;
pub mod suite;
pub mod text;
pub mod time;
pub mod token;

pub use error::DomainError;

//! Tessera's HTTP layer. Each dialect is one module that parses its wire format, calls the
//! service and maps the service's typed errors to its own error body, once.
//!
//! Layout:
//! - [`dingtalk`]: `/v1.0/oauth2/*` token operations, legacy `/gettoken`, `{code, message, requestid}` errors.
//! - [`feishu`]: Feishu/Lark `/open-apis/auth/v3/*`, `authen/v1|v2`, `/oauth/v3/token`, `/oauth/v1/revoke`,
//!   `{code, msg}` errors with `X-Tt-Logid`.
//! - [`oauth2`]: RFC 6749 `/oauth2/token` (client credentials), `error`/`error_description` errors.
//! - [`oidc`]: OpenID Connect discovery and UserInfo.
//! - [`gateway`]: the [`gateway::RequireScopesLayer`] tower layer that answers 403 with the
//!   missing scopes, and the sample contacts Open API behind it.
//! - [`manage`]: the management API (`/api/v1`): requests, review, activation, grants, audit, explain.
//! - [`web`]: sign-in, the consent page of `/oauth2/authorize` and `/oauth2/auth`, the
//!   member's authorized apps.
//! - [`client_addr`]: the client's address for the attempt limits (`X-Forwarded-For` from trusted proxies only).
//! - [`health`]: `/healthz` and `/readyz` for load balancers.
//! - [`body`]: reading bodies with a size limit and without trusting the content type.
//! - [`params`]: the one reader of token-endpoint parameters (form or JSON), for every dialect.
//! - [`app_token`]: client credentials through the one pipeline for the app-token endpoints.
//! - [`client_auth`]: the one client-authentication reader (Basic or body credentials).
//! - [`security_headers`]: `no-store` by default, HSTS and `__Host-` cookies under https.
//! - [`framing`]: spotting requests framed by both `Content-Length` and `Transfer-Encoding`.
//! - [`request_text`]: the text guard of every request target (NUL, control characters, invalid UTF-8, length).
//! - [`surface`]: which surface a path belongs to, and each surface's own 404 and 405.
//! - [`server`]: the router, request logging without secrets, and graceful shutdown.
//! - [`shortcut`]: the forward-auth endpoints answered ahead of the router, with its layers' checks.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app_token;
pub mod body;
pub mod client_addr;
pub mod client_auth;
pub mod dingtalk;
pub mod feishu;
pub mod framing;
pub mod gateway;
pub mod health;
pub mod manage;
pub mod oauth2;
pub mod oidc;
pub mod params;
pub mod request_text;
pub mod security_headers;
pub mod server;
pub mod shortcut;
pub mod surface;
pub mod web;

pub use server::{App, Limits, router, router_with, serve, serve_with};

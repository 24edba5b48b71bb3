//! The interop tier: tests that need something outside this workspace and its in-process
//! server: the official SDKs, a browser, nginx and Caddy, Python tools (schemathesis,
//! authlib, jwcrypto), PostgreSQL, Redis, several server processes, fault injection, or a
//! build of another binary. Run alone with `cargo nextest run --workspace --profile interop`;
//! everything outside this module (and outside the `_postgres` tests) is the fast tier. The
//! helpers that reach outside (`Setup::postgres`, `Setup::with_redis`, `install`) refuse to
//! run in a fast-tier test, so a new test cannot slip into the wrong tier.

pub mod browser_console;
pub mod browser_flow;
pub mod browser_pages;
pub mod chat_bot;
pub mod dingtalk_sdk;
pub mod feishu_sdk;
pub mod forward_auth_proxies;
pub mod gateway_assertion;
pub mod gateway_sdk;
pub mod install;
pub mod multinode;
pub mod multinode_user_tokens;
pub mod oauth_clients;
pub mod oidc_flow;
pub mod oidc_jwt;
pub mod oidc_keys;
pub mod oidc_logout;
pub mod oidc_rp;
pub mod oidc_support;
pub mod openapi_contract;
pub mod pg_cluster;
pub mod pg_faults;
pub mod postgres;
pub mod rate_limit_redis;
pub mod readme_walk;

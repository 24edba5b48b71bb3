//! HTTP integration tests: each boots the real server on a random port with its own
//! database and speaks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin_consent;
mod audit_verify;
mod bad_input;
mod bad_text;
mod browser;
mod cli;
mod cli_human;
mod cli_login;
mod client_lib;
mod console;
mod console_feedback;
mod device_flow;
mod dingtalk_tokens;
mod feishu;
mod feishu_tickets;
mod fixtures;
mod gateway;
mod gateway_forward_auth;
mod gateway_proxy;
mod gateway_rate_limit;
mod gateway_routes;
mod gateway_upstream;
mod group_commit;
mod health;
mod helpers;
mod interop;
pub mod lifecycle;
mod logout_receiver;
mod logs;
mod oauth2_tokens;
mod oidc_logout_settings;
mod oidc_prompt;
mod oidc_settings;
mod openapi_routes;
mod operations;
mod page_escaping;
mod recall_caches;
mod refresh_reuse;
mod security_edges;
mod security_roles;
mod security_throttle;
mod security_tokens;
mod suites;
mod token_lifecycle;
mod user_flow;

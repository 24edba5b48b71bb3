//! The gateway: [`RequireScopesLayer`], a tower layer that checks the access token of every
//! request against the scopes and token kinds a route requires and answers in the route's
//! dialect (DingTalk: 400 for a missing or invalid token, 403 naming the missing scopes;
//! Feishu: 400 with 99991661/99991663/99991668 or 99991672/99991679 and
//! `permission_violations`) before the route's handler runs. On success the handler finds the caller's
//! [`Principal`](tessera_service::Principal) in the request extensions.
//!
//! The layer asks an [`Authorizer`]; Tessera's service is one, and a Rust service that
//! embeds Tessera's service can put the layer in front of its own routes.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use http::HeaderMap;
use tessera_core::ids::ScopeCode;
use tessera_core::token::TokenKind;
use tessera_service::{AccessError, Principal, Tessera};
use tower::{Layer, Service};

pub mod assertion;
pub mod dispatch;
pub mod feishu_api;
pub mod forward_auth;
pub mod identity;
pub mod metrics;
pub mod proxy;
pub mod rate_limit;
pub mod refusal;
pub mod sample_api;
pub mod table;

pub use dispatch::Gateway;

/// The wire format a guarded route answers refusals in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    DingTalk,
    Feishu,
    /// RFC 6750: `WWW-Authenticate: Bearer` errors (`invalid_token`, `insufficient_scope`).
    OAuth2,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::DingTalk => "dingtalk",
            Dialect::Feishu => "feishu",
            Dialect::OAuth2 => "oauth2",
        }
    }
}

/// The header DingTalk SDKs send the access token in.
pub const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides whether a token may call a route.
pub trait Authorizer: Clone + Send + Sync + 'static {
    fn authorize<'a>(
        &'a self,
        token: &'a str,
        required: &'a [ScopeCode],
        accepted: &'a [TokenKind],
    ) -> BoxFuture<'a, Result<Principal, AccessError>>;
}

impl Authorizer for Tessera {
    fn authorize<'a>(
        &'a self,
        token: &'a str,
        required: &'a [ScopeCode],
        accepted: &'a [TokenKind],
    ) -> BoxFuture<'a, Result<Principal, AccessError>> {
        Box::pin(self.check_access(token, required, accepted))
    }
}

/// The access token of a request: `x-acs-dingtalk-access-token`, else `Authorization: Bearer`.
pub fn access_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v);
        }
    }
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// What a route requires.
#[derive(Debug)]
struct Requirement {
    scopes: Vec<ScopeCode>,
    kinds: Vec<TokenKind>,
}

/// Requires every request to carry a token of one of `kinds` holding all of `scopes`.
#[derive(Clone)]
pub struct RequireScopesLayer<A> {
    authorizer: A,
    requirement: Arc<Requirement>,
    dialect: Dialect,
}

impl<A: Authorizer> RequireScopesLayer<A> {
    pub fn new(authorizer: A, scopes: Vec<ScopeCode>, kinds: Vec<TokenKind>) -> Self {
        RequireScopesLayer {
            authorizer,
            requirement: Arc::new(Requirement { scopes, kinds }),
            dialect: Dialect::default(),
        }
    }

    /// Answers refusals in `dialect`.
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }
}

impl<A: Clone, S> Layer<S> for RequireScopesLayer<A> {
    type Service = RequireScopes<A, S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopes {
            authorizer: self.authorizer.clone(),
            requirement: self.requirement.clone(),
            dialect: self.dialect,
            inner,
        }
    }
}

#[derive(Clone)]
pub struct RequireScopes<A, S> {
    authorizer: A,
    requirement: Arc<Requirement>,
    dialect: Dialect,
    inner: S,
}

impl<A, S> Service<Request> for RequireScopes<A, S>
where
    A: Authorizer,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone is not ready; keep the ready one for this request (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let authorizer = self.authorizer.clone();
        let requirement = self.requirement.clone();
        let dialect = self.dialect;
        Box::pin(async move {
            let Some(token) = access_token(req.headers()) else {
                return Ok(refusal::missing_token(dialect));
            };
            let outcome = authorizer.authorize(token, &requirement.scopes, &requirement.kinds).await;
            match outcome {
                Ok(principal) => {
                    req.extensions_mut().insert(principal);
                    inner.call(req).await
                }
                Err(e) => Ok(refusal::refused(dialect, e, token)),
            }
        })
    }
}

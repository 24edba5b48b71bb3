//! The forward-auth endpoints answered ahead of the router: a proxy asks one of them before
//! every request it forwards, so they are the server's busiest. The router's layers are
//! replaced here by the checks they make on these endpoints, in the same order:
//! the request log line (debug level), the text guard (with the refusal of a request framed
//! twice, see [`crate::framing`]), then the security headers around the answer. Any other
//! request, and a `HEAD` (whose answer the router shapes itself), goes to the router.

use axum::response::Response;
use http::Method;
use tessera_service::Tessera;

use crate::framing::DoubleFramed;
use crate::gateway::Gateway;
use crate::gateway::forward_auth::Endpoint;
use crate::{request_text, security_headers};

/// What the server needs to answer the forward-auth endpoints itself.
pub struct Shortcut {
    tessera: Tessera,
    gateway: Gateway,
}

impl Shortcut {
    pub fn new(tessera: Tessera, gateway: Gateway) -> Shortcut {
        Shortcut { tessera, gateway }
    }

    /// The endpoint answering `req` here, or `None` for a request the router takes.
    pub fn endpoint<B>(&self, req: &http::Request<B>) -> Option<Endpoint> {
        if req.method() == Method::HEAD {
            return None;
        }
        Endpoint::of(req.uri().path())
    }

    /// The answer of `endpoint` to `req`, as the router and its layers would give it;
    /// `double_framed` when the connection's watch saw both framings on this request.
    pub async fn answer<B>(&self, endpoint: Endpoint, mut req: http::Request<B>, double_framed: bool) -> Response {
        if double_framed {
            req.extensions_mut().insert(DoubleFramed);
        }
        let res = match request_text::refusal(&req, Some(&self.gateway)) {
            Some(refused) => refused,
            None => {
                let https = security_headers::https(&self.tessera);
                security_headers::on_request(https, req.headers_mut());
                let (method, path) = (req.method(), req.uri().path());
                let mut res = endpoint.answer(&self.tessera, &self.gateway, method, path, req.headers()).await;
                security_headers::on_response(https, res.headers_mut());
                res
            }
        };
        crate::server::log_answer(req.method(), req.uri().path(), &res);
        res
    }
}

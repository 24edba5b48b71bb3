//! User tokens are cached like app tokens on every node, and a revocation still reaches all
//! of them: refused on the next call on the node that revoked, within a second on the other.

use std::time::Duration;

use tessera_core::pkce;

use crate::browser::*;
use crate::helpers::*;
use crate::interop::multinode::{handle, start_node};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const ME: &str = "/v1.0/contact/users/me";

/// Alice authorizes dingdemoapp on `node`: (access token, refresh token).
async fn alice_pair(node: &TestApp) -> (String, String) {
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope={}&state=s&code_challenge={}&code_challenge_method=S256",
        urlencode("http://127.0.0.1:8900/callback"),
        urlencode("openid Contact.User.Read"),
        pkce::s256(VERIFIER)
    );
    let done = Browser::new(node).authorize(&path, "alice-union", "alice-password").await;
    let r = exchange(node, &done.location_param("code").unwrap(), Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (r.str("access_token").to_owned(), r.str("refresh_token").to_owned())
}

/// Polls `node` with `access` 40 times 25 ms apart (about a second with the requests) until
/// it is refused; the attempt it was refused at.
async fn refused_within_a_second(node: &TestApp, access: &str) -> Option<usize> {
    for attempt in 0..40 {
        let r = get_with(node, access, ME).await;
        if r.status != 200 {
            assert_dingtalk_error(&r, 400, "InvalidAuthentication");
            return Some(attempt);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

#[tokio::test]
async fn a_revoked_user_token_is_refused_on_both_nodes() {
    let setup = Setup::postgres().await;
    let a = start_node(&setup).await;
    let b = start_node(&setup).await;
    let (node_a, node_b) = (handle(&a, &setup), handle(&b, &setup));

    // Revoked by the client (RFC 7009, the refresh token: its whole family).
    let (access, refresh_token) = alice_pair(&node_a).await;
    // Both nodes check it (and cache it), twice.
    for node in [&node_a, &node_b, &node_a, &node_b] {
        assert_eq!(get_with(node, &access, ME).await.status, 200);
    }
    let revoked = node_a
        .send(
            node_a
                .http
                .post(node_a.url("/oauth2/revoke"))
                .basic_auth("dingdemoapp", Some("demo-secret"))
                .form(&[("token", refresh_token.as_str())]),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_dingtalk_error(&get_with(&node_a, &access, ME).await, 400, "InvalidAuthentication");
    assert!(refused_within_a_second(&node_b, &access).await.is_some(), "node B still took a revoked token");

    // Revoked by reuse detection on node B: a spent refresh token presented again.
    let (access, spent) = alice_pair(&node_a).await;
    for node in [&node_a, &node_b, &node_a, &node_b] {
        assert_eq!(get_with(node, &access, ME).await.status, 200);
    }
    let next = refresh(&node_b, &spent).await;
    assert_eq!(next.status, 200, "{}", next.text);
    let fresh = next.str("access_token").to_owned();
    assert_eq!(get_with(&node_a, &fresh, ME).await.status, 200);
    assert_eq!(get_with(&node_b, &fresh, ME).await.status, 200);
    assert_oauth_error(&refresh(&node_b, &spent).await, 400, "invalid_grant");
    assert_dingtalk_error(&get_with(&node_b, &fresh, ME).await, 400, "InvalidAuthentication");
    assert!(refused_within_a_second(&node_a, &fresh).await.is_some(), "node A still took a revoked family's token");
    drop((a.child, b.child));
}

//! Rate limits shared by two nodes through the test Redis.

use crate::gateway_rate_limit::{T0, call, limited_routes};
use crate::gateway_upstream::*;
use crate::helpers::*;

/// Two nodes sharing the test Redis: a limit of 10 per second admits 10 calls spread over
/// both, not 10 on each.
#[tokio::test]
async fn two_nodes_sharing_redis_do_not_exceed_the_limit_together() {
    let upstream = start_upstream().await;
    let prefix = format!("tessera-test:{}:", uuid::Uuid::new_v4().simple());
    let routes = limited_routes(&upstream.base, 10, 1000);
    let one = Setup::sqlite().with_fake_clock(T0).with_routes(routes.clone()).with_redis(&prefix);
    let mut two = Setup::sqlite().with_routes(routes).with_redis(&prefix);
    two.clock = one.clock.clone();
    let (a, b) = (spawn_with(one).await, spawn_with(two).await);
    let ta = a.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let tb = b.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let mut allowed = 0;
    for i in 0..20 {
        let (node, token) = if i % 2 == 0 { (&a, &ta) } else { (&b, &tb) };
        let r = call(node, token, &format!("/limited/{i}")).await;
        match r.status {
            200 => allowed += 1,
            403 => assert_eq!(r.str("code"), "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert!(allowed <= 11, "{allowed} calls passed a limit of 10 per second across two nodes");
    assert_eq!(allowed, 10);
}

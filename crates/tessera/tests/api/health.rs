//! Liveness and readiness answer anyone, without credentials.

use crate::helpers::*;

#[tokio::test]
async fn healthz_and_readyz_answer_without_credentials_on_sqlite() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let r = app.send(app.http.get(app.url(path))).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.text.len() < 40, "{}", r.text);
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    assert_eq!(app.send(app.http.get(app.url("/readyz"))).await.str("status"), "ready");
}

//! The same server on PostgreSQL: tokens, the gateway's decision and a restart.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_server_works_on_postgres_across_a_restart() {
    let app = spawn_with(Setup::postgres().await).await;
    let token = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    assert_eq!(app.get_user(&token, "alice").await.status, 200);
    let denied = app.update_user(&token, "alice", json!({"title": "x"})).await;
    assert_dingtalk_error(&denied, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    let suite = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    assert_eq!(app.create_department(&suite, json!({"name": "Ops"})).await.body["deptId"], 2);
    let setup = app.stop().await;
    let again = spawn_with(setup).await;
    assert_eq!(again.get_user(&token, "alice").await.status, 200);
    assert_eq!(again.create_department(&suite, json!({"name": "Ops 2"})).await.body["deptId"], 3);
}

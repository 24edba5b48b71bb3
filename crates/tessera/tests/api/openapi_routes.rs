//! The management API's OpenAPI document lists exactly the routes the server mounts under
//! `/api/v1`. The mounted routes are read from the server's router itself (every path it
//! holds and the methods routed on each, through the router's `Debug` form), not from a list
//! kept by hand; the document is the one the running server answers. Each documented
//! operation is also sent to the running server, which must route it (neither the 404 of an
//! unknown path nor the 405 of an unrouted method).

use std::collections::BTreeSet;

use crate::helpers::*;

const METHODS: &[&str] = &["get", "head", "delete", "options", "patch", "post", "put", "trace", "connect"];

/// `(METHOD, path)` of every route `tessera_http::server::routes()` holds under `/api/v1`.
/// A route mounted as a service for every method (`route_service`, `nest_service`) is `ANY`.
fn mounted() -> BTreeSet<(String, String)> {
    let text = format!("{:?}", tessera_http::server::routes());
    // `Router { path_router: PathRouter { routes: {RouteId(n): Endpoint, …}, node: Node {
    // paths: {RouteId(n): "/path", …} } }, fallback_router: …`.
    let path_router = text.split(", fallback_router:").next().unwrap();
    let (routes, node) = path_router.split_once("node: Node").expect("the router's Debug form names its node");
    let mut paths = std::collections::HashMap::new();
    for entry in node.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once("): \"").expect("a route id and its path");
        paths.insert(id.to_owned(), rest.split('"').next().unwrap().to_owned());
    }
    let mut out = BTreeSet::new();
    for entry in routes.split("RouteId(").skip(1) {
        let (id, endpoint) = entry.split_once("): ").expect("a route id and its endpoint");
        let path = paths.get(id).unwrap_or_else(|| panic!("route {id} has no path in {text}"));
        if !path.starts_with("/api/v1") {
            continue;
        }
        if endpoint.starts_with("MethodRouter(") {
            let routed: Vec<&str> = METHODS
                .iter()
                .copied()
                .filter(|m| {
                    let field = format!(" {m}: ");
                    let value = endpoint.split_once(&field).expect("every method's field").1;
                    !value.starts_with("None")
                })
                .collect();
            assert!(!routed.is_empty(), "{path} routes no method: {endpoint}");
            out.extend(routed.into_iter().map(|m| (m.to_ascii_uppercase(), path.clone())));
        } else {
            out.insert(("ANY".to_owned(), path.clone()));
        }
    }
    out
}

/// `(METHOD, path)` of every operation of the document.
fn documented(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(*method).is_some_and(|op| op.is_object()) {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_mounted_management_route_is_documented_and_back() {
    let app = spawn_app().await;
    let doc = app.send(app.http.get(app.url("/api/v1/openapi.json"))).await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    let documented = documented(&doc.body);
    let mounted = mounted();
    assert!(mounted.len() >= 20, "the router walk found too few routes: {mounted:?}");
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    let unmounted: Vec<_> = documented.difference(&mounted).collect();
    assert!(undocumented.is_empty(), "mounted under /api/v1 but not in the OpenAPI document: {undocumented:?}");
    assert!(unmounted.is_empty(), "in the OpenAPI document but not mounted: {unmounted:?}");

    // The running server routes each documented operation (no credentials: a refusal of the
    // handler, never the 404 of an unknown path or the 405 of an unrouted method).
    for (method, path) in &documented {
        let concrete: String =
            path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = app.send(app.http.request(method.clone(), app.url(&concrete))).await;
        assert!(r.status != 404 && r.status != 405, "{method} {concrete} is not routed: {} {}", r.status, r.text);
    }
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_carries_the_contract_derivation_cannot_see() {
    let app = spawn_app().await;
    let doc = app.send(app.http.get(app.url("/api/v1/openapi.json"))).await.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "tessera_session");
    assert_eq!(doc["components"]["schemas"]["Error"]["required"], serde_json::json!(["error", "message"]));
    let sign_in = &doc["paths"]["/api/v1/sessions"]["post"];
    assert_eq!(sign_in["security"], serde_json::json!([]), "signing in needs no credentials");
    let grant = &doc["paths"]["/api/v1/orgs/{corp_id}/installations/{client_id}/grants/{scope}"]["put"];
    assert_eq!(grant["security"], serde_json::json!([{"bearer": []}, {"session": []}]));
    assert!(grant["description"].as_str().unwrap().starts_with("Who may call it:"));
    for status in ["400", "401", "403", "404", "409", "413", "414", "415", "429", "503"] {
        assert_eq!(grant["responses"][status]["$ref"], format!("#/components/responses/Error{status}"));
    }
    // Fields the hand-written document left vague are now derived from the answers' types.
    let route = &doc["components"]["schemas"]["RouteView"];
    for field in ["methods", "path", "dialect", "scopes", "token_kinds", "upstream", "builtin", "qps"] {
        assert!(route["properties"][field].is_object(), "RouteView.{field}: {route}");
    }
    let kinds = &doc["components"]["schemas"]["KindView"]["enum"];
    assert_eq!(kinds, &serde_json::json!(["internal", "third_party_enterprise", "third_party_personal"]));
    app.stop().await;
}

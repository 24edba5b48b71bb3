//! `GET /api/v1/openapi.json`: the management API's OpenAPI 3.1 document. It is the contract:
//! each operation lists every status it can answer (the shared `Error` response for all
//! refusals), and ids, scopes, names, reasons and `overlap_seconds` carry the patterns,
//! enums and lengths the server enforces.

use axum::Json;
use serde_json::{Value, json};
use tessera_core::app::MAX_QPS;
use tessera_core::audit::AuditAction;
use tessera_core::fixture::MAX_TEXT_LEN;
use tessera_core::ids::MAX_ID_LEN;
use tessera_core::oidc::MAX_RESOURCES;
use tessera_core::registration::{MAX_APP_NAME_CHARS, MAX_REDIRECT_URIS, MAX_SECRET_OVERLAP};

/// What each refusal means, by status; every operation lists the ones it can answer.
const ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "invalid_request (a malformed id, scope, field or body; a control character such as NUL; a body that is not JSON or misses a field), unknown_scope, wrong_tier, wrong_app_kind",
    ),
    ("401", "unauthenticated, bad_credentials: no or an unknown operator token or session"),
    (
        "403",
        "forbidden, role_required, org_not_verified, cross_site_request (a cookie-authenticated change from another site)",
    ),
    ("404", "not_found: no such app, org, scope, request or route"),
    ("409", "conflict, scope_closed, not_activated, scope_not_enabled"),
    ("413", "too_large: the body is larger than 64 KiB"),
    ("414", "invalid_request: the request target is longer than 8192 bytes"),
    ("415", "unsupported_media_type: a cookie-authenticated body that is not application/json"),
    (
        "429",
        "too_many_attempts (wrong passwords or tokens from this address or for this account), busy: retry after Retry-After seconds",
    ),
    ("503", "unavailable: the store cannot be reached; retry later"),
];

/// The statuses of a read, of a change, and of signing in.
const READ: &[&str] = &["400", "401", "403", "404", "414", "429", "503"];
const CHANGE: &[&str] = &["400", "401", "403", "404", "409", "413", "414", "415", "429", "503"];
const SIGN_IN: &[&str] = &["400", "401", "413", "414", "429", "503"];

fn error_ref(status: &str) -> Value {
    json!({"$ref": format!("#/components/responses/Error{status}")})
}

fn ok_response(schema: Option<Value>) -> Value {
    match schema {
        Some(schema) => json!({"description": "done", "content": {"application/json": {"schema": schema}}}),
        None => json!({"description": "done"}),
    }
}

fn responses(ok: &str, schema: Option<Value>, errors: &[&str]) -> Value {
    let mut r = serde_json::Map::new();
    r.insert(ok.to_owned(), ok_response(schema));
    for status in errors {
        r.insert((*status).to_owned(), error_ref(status));
    }
    Value::Object(r)
}

fn op(summary: &str, who: &str, body: Option<Value>, ok: &str, answer: Option<Value>) -> Value {
    let errors = if body.is_some() || ok == "204" || ok == "201" { CHANGE } else { READ };
    let mut o = json!({
        "summary": summary,
        "description": format!("Who may call it: {who}."),
        "security": [{"bearer": []}, {"session": []}],
        "responses": responses(ok, answer, errors)
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    o
}

/// `POST /api/v1/routes/reload`: no body; a route file that does not load is 422 and the table
/// in force stays.
fn reload_op() -> Value {
    let mut o = op(
        "Read the route file again (what SIGHUP and `tessera routes reload` do)",
        "operators",
        None,
        "200",
        Some(obj(
            json!({"reloaded": {"type": "boolean"}, "routes": {"type": "integer", "minimum": 0}}),
            json!(["reloaded", "routes"]),
        )),
    );
    o["responses"]["415"] = error_ref("415");
    o["responses"]["422"] = json!({"description": "`invalid_route_file`: the file, line and reason; the table in force stays",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    o
}

/// An id (client_id, corp_id, union_id, a scope code): 1 to 128 printable ASCII characters.
fn id_schema() -> Value {
    json!({"type": "string", "pattern": "^[!-~]+$", "minLength": 1, "maxLength": MAX_ID_LEN})
}

/// Text of 1 to `max` characters, not only blanks, without control characters (but tab and
/// line breaks where `breaks`).
fn text_schema(max: usize, breaks: bool) -> Value {
    let other = if breaks { "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f" } else { "\\x00-\\x1f\\x7f-\\x9f" };
    let pattern = format!("^[^{other}]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^{other}]*$");
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": pattern})
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": id_schema()})
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn obj(props: Value, required: Value) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

fn components() -> Value {
    let error_body =
        obj(json!({"error": {"type": "string"}, "message": {"type": "string"}}), json!(["error", "message"]));
    let mut responses = serde_json::Map::new();
    for (status, what) in ERRORS {
        responses.insert(
            format!("Error{status}"),
            json!({"description": what, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    let permission = obj(
        json!({"client_id": {"type": "string"}, "scope": {"type": "string"},
            "status": {"enum": ["pending_review", "enabled", "review_failed"]},
            "description": {"type": "string"}, "reason": {"type": "string"}, "updated_at": {"type": "integer"}}),
        json!(["client_id", "scope", "status", "description", "updated_at"]),
    );
    let app = obj(
        json!({"client_id": {"type": "string"}, "name": {"type": "string"},
            "kind": {"enum": ["internal", "third_party_enterprise", "third_party_personal"]},
            "owner_corp_id": {"type": "string"}, "redirect_uris": {"type": "array", "items": {"type": "string"}},
            "public_client": {"type": "boolean"}, "resource_server": {"type": "boolean"},
            "rate_limits": rate_limits(false)}),
        json!([
            "client_id",
            "name",
            "kind",
            "owner_corp_id",
            "redirect_uris",
            "public_client",
            "resource_server",
            "rate_limits"
        ]),
    );
    let audit = obj(
        json!({"seq": {"type": "integer"}, "at": {"type": "integer"}, "actor": {"type": "string"},
            "action": {"type": "string"}, "target": {"type": "string"}, "detail": {"type": "string"},
            "hash": {"type": "string"}}),
        json!(["seq", "at", "actor", "action", "target", "detail", "hash"]),
    );
    json!({
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "the operator token, or a session from POST /api/v1/sessions"},
            "session": {"type": "apiKey", "in": "cookie", "name": "tessera_session"}
        },
        "schemas": {"Error": error_body, "Permission": permission, "App": app, "AuditEvent": audit},
        "responses": responses
    })
}

/// An app's own rate limits: requests per second over every route and on each route; `null`
/// (or, in a request, left out) falls back to the route table's.
fn rate_limits(request: bool) -> Value {
    let qps = json!({"type": ["integer", "null"], "minimum": 1, "maximum": MAX_QPS});
    let required = if request { json!([]) } else { json!(["app_qps", "route_qps"]) };
    obj(json!({"app_qps": qps, "route_qps": qps}), required)
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn list_of(name: &str) -> Value {
    json!({"type": "array", "items": schema_ref(name)})
}

pub async fn document() -> Json<Value> {
    let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    let developers = "org-wide developers and org admins of the app's org, operators";
    let int = || json!({"type": "integer"});
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "Tessera management API", "version": "1"},
        "components": components(),
        "paths": {
            "/api/v1/sessions": {"post": {
                "summary": "Sign in; answers {session} to send as a Bearer token", "security": [],
                "requestBody": {"required": true, "content": {"application/json": {"schema":
                    obj(json!({"account": {"type": "string"}, "password": {"type": "string"}}),
                        json!(["account", "password"]))}}},
                "responses": responses("200", Some(obj(json!({"session": {"type": "string"}}), json!(["session"]))), SIGN_IN)
            }},
            "/api/v1/apps/{client_id}/permissions": {
                "parameters": [path_param("client_id")],
                "get": op("The app's permission requests and their status", developers, None, "200", Some(list_of("Permission"))),
                "post": op("Request (or resubmit) a scope: standard scopes are enabled at once, special and sensitive ones go to review (with a description of 1 to 1000 characters)",
                    developers,
                    Some(obj(json!({"scope": id_schema(), "description": {"type": "string", "maxLength": MAX_TEXT_LEN}}), json!(["scope"]))),
                    "200", Some(schema_ref("Permission")))
            },
            "/api/v1/apps/{client_id}/ticket-callback": {
                "parameters": [path_param("client_id")],
                "put": op("Register (or with null remove) the URL a suite's tickets are pushed to and their shape (DingTalk's suite_ticket, or a Feishu store app's app_ticket event, plain or encrypted); answers the key that signs deliveries and a Feishu store app's verification token and encrypt key",
                    developers,
                    Some(obj(json!({"url": {"type": ["string", "null"], "format": "uri"},
                        "event": {"enum": ["dingtalk", "feishu", "feishu_encrypted"]}}), json!(["url"]))), "200",
                    Some(obj(json!({"client_id": {"type": "string"}, "url": {"type": ["string", "null"]},
                        "event": {"enum": ["dingtalk", "feishu", "feishu_encrypted"]}, "signing_key": {"type": "string"},
                        "verification_token": {"type": "string"}, "encrypt_key": {"type": "string"}}),
                        json!(["client_id", "url", "event", "signing_key"]))))
            },
            "/api/v1/reviews": {"get": op("The review queue: requests pending review", "operators", None, "200", Some(list_of("Permission")))},
            "/api/v1/reviews/{client_id}/{scope}": {
                "parameters": [path_param("client_id"), path_param("scope")],
                "post": op("Approve a pending request, or decline one (or withdraw an approval) with a reason of 1 to 1000 characters", "operators",
                    Some(obj(json!({"decision": {"enum": ["approve", "decline"]}, "reason": text_schema(MAX_TEXT_LEN, true)}), json!(["decision"]))),
                    "200", Some(schema_ref("Permission")))
            },
            "/api/v1/orgs/{corp_id}/installations": {
                "parameters": [path_param("corp_id")],
                "post": op("Activate an app in the org (grants its enabled standard scopes there, not sensitive ones)",
                    "org admins of the org, operators", Some(obj(json!({"client_id": id_schema()}), json!(["client_id"]))), "201",
                    Some(obj(json!({"client_id": {"type": "string"}, "corp_id": {"type": "string"}, "installed_at": {"type": "integer"}}),
                        json!(["client_id", "corp_id", "installed_at"]))))
            },
            "/api/v1/orgs/{corp_id}/installations/{client_id}": {
                "parameters": [path_param("corp_id"), path_param("client_id")],
                "delete": op("Uninstall: the installation and every grant the app had in the org go", "org admins of the org, operators", None, "204", None)
            },
            "/api/v1/orgs/{corp_id}/installations/{client_id}/grants/{scope}": {
                "parameters": [path_param("corp_id"), path_param("client_id"), path_param("scope")],
                "put": op("Authorize a sensitive scope for the app (\"Accept the app's request for permissions\")",
                    "members holding the scope's eligible role over the whole org", None, "204", None),
                "delete": op("Recall it (\"Recall permissions previously granted to the app\")",
                    "members holding the scope's eligible role over the whole org", None, "204", None)
            },
            "/api/v1/orgs/{corp_id}/audit": {
                "parameters": [path_param("corp_id"),
                    query_param("client_id", id_schema(), "events about this app"),
                    query_param("actor", json!({"type": "string"}), "e.g. member:dingdemo/alice"),
                    query_param("action", json!({"enum": actions}), "one kind of event"),
                    query_param("since", int(), "Unix seconds, inclusive"),
                    query_param("until", int(), "Unix seconds, exclusive"),
                    query_param("after", int(), "page: events after this seq"),
                    query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 500}), "1 to 500, default 100")],
                "get": op("The org's audit log, oldest first, hash-chained", "org admins of the org, operators", None, "200", Some(list_of("AuditEvent")))
            },
            "/api/v1/orgs/{corp_id}/apps": {
                "parameters": [path_param("corp_id")],
                "get": op("The apps the org registered", "org-wide developers and org admins of the org, operators", None, "200", Some(list_of("App"))),
                "post": op("Register an app: basic scopes from the start, an internal app activated in its org; the answer holds client_secret, shown this once",
                    "org-wide developers and org admins of the org, operators",
                    Some(obj(json!({"name": text_schema(MAX_APP_NAME_CHARS, false), "kind": {"enum": ["internal", "third_party_enterprise", "third_party_personal"]},
                        "redirect_uris": {"type": "array", "maxItems": MAX_REDIRECT_URIS, "items": {"type": "string", "format": "uri"}}}), json!(["name", "kind"]))),
                    "201", Some(json!({"allOf": [schema_ref("App"), obj(json!({"client_secret": {"type": "string"}}), json!(["client_secret"]))]})))
            },
            "/api/v1/apps/{client_id}/secret": {
                "parameters": [path_param("client_id")],
                "post": op("Rotate the client secret: the new one is in this answer only; the previous one keeps working for overlap_seconds (0 to 604800; 0 stops every previous secret at once)",
                    developers,
                    Some(obj(json!({"overlap_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_SECRET_OVERLAP}}), json!([]))), "200",
                    Some(obj(json!({"client_id": {"type": "string"}, "client_secret": {"type": "string"}, "previous_valid_until": {"type": ["integer", "null"]}}),
                        json!(["client_id", "client_secret", "previous_valid_until"]))))
            },
            "/api/v1/apps/{client_id}/redirect_uris": {
                "parameters": [path_param("client_id")],
                "put": op("Replace the app's redirect URIs (absolute http(s), no fragment, at most 10)",
                    developers,
                    Some(obj(json!({"redirect_uris": {"type": "array", "maxItems": MAX_REDIRECT_URIS, "items": {"type": "string", "format": "uri"}}}), json!(["redirect_uris"]))),
                    "200", Some(obj(json!({"client_id": {"type": "string"}, "redirect_uris": {"type": "array", "items": {"type": "string"}}}),
                        json!(["client_id", "redirect_uris"]))))
            },
            "/api/v1/apps/{client_id}/resource_server": {
                "parameters": [path_param("client_id")],
                "put": op("Mark the app as a resource server (its client may introspect every app's tokens at /oauth2/introspect) or unmark it",
                    "operators",
                    Some(obj(json!({"resource_server": {"type": "boolean"}}), json!(["resource_server"]))), "200", Some(schema_ref("App")))
            },
            "/api/v1/apps/{client_id}/rate_limits": {
                "parameters": [path_param("client_id")],
                "put": op("Set the app's own gateway rate limits, in requests per second over every route (app_qps) and on each route (route_qps); each replaces the route table's for this app, null restores it",
                    "operators", Some(rate_limits(true)), "200", Some(schema_ref("App")))
            },
            "/api/v1/routes": {
                "get": op("The gateway's route table in force: each route's methods, path template, dialect, scopes, token kinds, upstream and limit",
                    "operators", None, "200",
                    Some(obj(json!({"file": {"type": ["string", "null"]}, "routes": {"type": "array", "items": {"type": "object"}}}), json!(["routes"]))))
            },
            "/api/v1/routes/reload": {
                "post": reload_op()
            },
            "/api/v1/explain": {
                "parameters": [query_param("client_id", id_schema(), "the app"), query_param("corp_id", id_schema(), "the org"),
                    query_param("union_id", id_schema(), "optional: the user of a user token"),
                    query_param("scope", json!({"type": "string", "pattern": "^[!#-\\[\\]-~]+( [!#-\\[\\]-~]+)*$"}), "space-separated scopes"),
                    query_param("route", json!({"type": "string"}), "or a route, `METHOD /path`")],
                "get": op("Allowed, or for each scope the first missing step and what to do next",
                    "members of the org or of the app's org, operators", None, "200",
                    Some(obj(json!({"allowed": {"type": "boolean"}, "scopes": {"type": "array"}}), json!(["allowed", "scopes"]))))
            },
            "/api/v1/apps/{client_id}/oidc": oidc_settings_path()
        }
    }))
}

/// An app's OpenID Connect settings: in a request every field is optional (left out, it
/// keeps its value); an answer has them all.
fn oidc_settings(request: bool) -> Value {
    let mut props = json!({
        "id_token_signed_response_alg": {"enum": ["RS256", "ES256", "EdDSA"]},
        "subject_type": {"enum": ["public", "pairwise"]},
        "access_token_format": {"enum": ["opaque", "jwt"]},
        "resources": {"type": "array", "maxItems": MAX_RESOURCES, "items": {"type": "string", "format": "uri"},
            "description": "RFC 8707 resource indicators tokens of this app may be issued for (absolute http(s), no fragment)"}
    });
    if request {
        return obj(props, json!([]));
    }
    props["client_id"] = json!({"type": "string"});
    obj(props, json!(["client_id", "id_token_signed_response_alg", "subject_type", "access_token_format", "resources"]))
}

fn oidc_settings_path() -> Value {
    json!({
        "parameters": [path_param("client_id")],
        "get": op("The app's OpenID Connect settings", "operators", None, "200", Some(oidc_settings(false))),
        "put": op("Change the app's OpenID Connect settings: the ID token algorithm, the subject type, the access token format (opaque or RFC 9068 JWT) and the RFC 8707 resources; fields left out keep their values; an unknown algorithm is refused by name",
            "operators", Some(oidc_settings(true)), "200", Some(oidc_settings(false)))
    })
}

//! `GET /api/v1/openapi.json`: the management API's OpenAPI 3.1 document.

use axum::Json;
use serde_json::{Value, json};

fn op(summary: &str, who: &str, body: Option<Value>, ok: &str) -> Value {
    let mut o = json!({
        "summary": summary,
        "description": format!("Who may call it: {who}."),
        "security": [{"bearer": []}, {"session": []}],
        "responses": {
            ok: {"description": "done"},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "409": {"$ref": "#/components/responses/Error"}
        }
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    o
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

fn query_param(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}, "description": description})
}

pub async fn document() -> Json<Value> {
    let obj = |props: Value, required: Value| json!({"type": "object", "properties": props, "required": required});
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "Tessera management API", "version": "1"},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "the operator token, or a session from POST /api/v1/sessions"},
                "session": {"type": "apiKey", "in": "cookie", "name": "tessera_session"}
            },
            "responses": {"Error": {"description": "an error", "content": {"application/json": {"schema":
                obj(json!({"error": {"type": "string"}, "message": {"type": "string"}}), json!(["error", "message"]))}}}}
        },
        "paths": {
            "/api/v1/sessions": {"post": {
                "summary": "Sign in; answers {session} to send as a Bearer token", "security": [],
                "requestBody": {"required": true, "content": {"application/json": {"schema":
                    obj(json!({"account": {"type": "string"}, "password": {"type": "string"}}), json!(["account", "password"]))}}},
                "responses": {"200": {"description": "signed in"}, "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}
            }},
            "/api/v1/apps/{client_id}/permissions": {
                "parameters": [path_param("client_id")],
                "get": op("The app's permission requests and their status", "org-wide developers and org admins of the app's org, operators", None, "200"),
                "post": op("Request (or resubmit) a scope: standard scopes are enabled at once, special and sensitive ones go to review",
                    "org-wide developers and org admins of the app's org, operators",
                    Some(obj(json!({"scope": {"type": "string"}, "description": {"type": "string"}}), json!(["scope"]))), "200")
            },
            "/api/v1/apps/{client_id}/ticket-callback": {
                "parameters": [path_param("client_id")],
                "put": op("Register (or with null remove) the URL a suite's tickets are pushed to; answers the key that signs deliveries",
                    "org-wide developers and org admins of the app's org, operators",
                    Some(obj(json!({"url": {"type": ["string", "null"]}}), json!(["url"]))), "200")
            },
            "/api/v1/reviews": {"get": op("The review queue: requests pending review", "operators", None, "200")},
            "/api/v1/reviews/{client_id}/{scope}": {
                "parameters": [path_param("client_id"), path_param("scope")],
                "post": op("Approve a pending request, or decline one (or withdraw an approval) with a reason", "operators",
                    Some(obj(json!({"decision": {"enum": ["approve", "decline"]}, "reason": {"type": "string"}}), json!(["decision"]))), "200")
            },
            "/api/v1/orgs/{corp_id}/installations": {
                "parameters": [path_param("corp_id")],
                "post": op("Activate an app in the org (grants its enabled standard scopes there, not sensitive ones)",
                    "org admins of the org, operators", Some(obj(json!({"client_id": {"type": "string"}}), json!(["client_id"]))), "201")
            },
            "/api/v1/orgs/{corp_id}/installations/{client_id}": {
                "parameters": [path_param("corp_id"), path_param("client_id")],
                "delete": op("Uninstall: the installation and every grant the app had in the org go", "org admins of the org, operators", None, "204")
            },
            "/api/v1/orgs/{corp_id}/installations/{client_id}/grants/{scope}": {
                "parameters": [path_param("corp_id"), path_param("client_id"), path_param("scope")],
                "put": op("Authorize a sensitive scope for the app (\"Accept the app's request for permissions\")",
                    "members holding the scope's eligible role over the whole org", None, "204"),
                "delete": op("Recall it (\"Recall permissions previously granted to the app\")",
                    "members holding the scope's eligible role over the whole org", None, "204")
            },
            "/api/v1/orgs/{corp_id}/audit": {
                "parameters": [path_param("corp_id"),
                    query_param("client_id", "string", "events about this app"), query_param("actor", "string", "e.g. member:dingdemo/alice"),
                    query_param("action", "string", "e.g. scope_authorized"), query_param("since", "integer", "Unix seconds, inclusive"),
                    query_param("until", "integer", "Unix seconds, exclusive"), query_param("after", "integer", "page: events after this seq"),
                    query_param("limit", "integer", "1 to 500, default 100")],
                "get": op("The org's audit log, oldest first, hash-chained", "org admins of the org, operators", None, "200")
            },
    "/api/v1/orgs/{corp_id}/apps": {
                "parameters": [path_param("corp_id")],
                "get": op("The apps the org registered", "org-wide developers and org admins of the org, operators", None, "200"),
                "post": op("Register an app: basic scopes from the start, an internal app activated in its org; the answer holds client_secret, shown this once",
                    "org-wide developers and org admins of the org, operators",
                    Some(obj(json!({"name": {"type": "string"}, "kind": {"enum": ["internal", "third_party_enterprise", "third_party_personal"]},
                        "redirect_uris": {"type": "array", "items": {"type": "string"}}}), json!(["name", "kind"]))), "201")
            },
            "/api/v1/apps/{client_id}/secret": {
                "parameters": [path_param("client_id")],
                "post": op("Rotate the client secret: the new one is in this answer only; the previous one keeps working for overlap_seconds (0 to 604800; 0 stops every previous secret at once)",
                    "org-wide developers and org admins of the app's org, operators",
                    Some(obj(json!({"overlap_seconds": {"type": "integer"}}), json!([]))), "200")
            },
            "/api/v1/apps/{client_id}/redirect_uris": {
                "parameters": [path_param("client_id")],
                "put": op("Replace the app's redirect URIs (absolute http(s), no fragment, at most 10)",
                    "org-wide developers and org admins of the app's org, operators",
                    Some(obj(json!({"redirect_uris": {"type": "array", "items": {"type": "string"}}}), json!(["redirect_uris"]))), "200")
            },
            "/api/v1/apps/{client_id}/resource_server": {
                "parameters": [path_param("client_id")],
                "put": op("Mark the app as a resource server (its client may introspect every app's tokens at /oauth2/introspect) or unmark it",
                    "operators",
                    Some(obj(json!({"resource_server": {"type": "boolean"}}), json!(["resource_server"]))), "200")
            },
            "/api/v1/explain": {
                "parameters": [query_param("client_id", "string", "the app"), query_param("corp_id", "string", "the org"),
                    query_param("union_id", "string", "optional: the user of a user token"),
                    query_param("scope", "string", "space-separated scopes"), query_param("route", "string", "or a route, `METHOD /path`")],
                "get": op("Allowed, or for each scope the first missing step and what to do next",
                    "members of the org or of the app's org, operators", None, "200")
            }
        }
    }))
}

//! `GET /api/v1/openapi.json`: the management API's OpenAPI 3.1 document, derived with
//! utoipa from the handlers (`#[utoipa::path]`: method, path, parameters, request body,
//! answers) and from the types they read and write (`ToSchema`, `IntoParams`). The router of
//! [`super::api`] mounts each route from the same declaration that documents it, so a route
//! or a field cannot be missing from the document.
//!
//! What derivation cannot see is added here once: the security schemes (the operator token
//! or a session as a Bearer token, or the session cookie), and the refusals, the shared
//! `Error` answers each operation lists by the kind of operation it is.

use std::sync::LazyLock;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use tessera_core::app::MAX_QPS;
use tessera_core::audit::AuditAction;
use tessera_core::ids::MAX_ID_LEN;
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder, Schema};

use super::error::ErrorBody;

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

/// The document's root: title and version. The paths come from the router
/// ([`super::api`]), then [`Contract`] adds what derivation cannot see.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Tessera management API",
        version = "1",
        description = "The permission lifecycle for developers, platform operators and org admins, the audit log and explain."
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// The id parameters' `max_length = 128` (see `params.rs`) is the core's limit.
const _ID_PATTERN_LEN: () = assert!(MAX_ID_LEN == 128);

/// Security schemes, the default security of every operation, and the shared error answers.
pub struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            "bearer".into(),
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the operator token, or a session from POST /api/v1/sessions"))
                    .build(),
            ),
        );
        components
            .security_schemes
            .insert("session".into(), SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("tessera_session"))));
        for (status, what) in ERRORS {
            let response = ResponseBuilder::new()
                .description(*what)
                .content("application/json", Content::new(Some(Ref::from_schema_name("Error"))))
                .build();
            components.responses.insert(format!("Error{status}"), RefOr::T(response));
        }
        let signed_in = vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ];
        for item in doc.paths.paths.values_mut() {
            let unsafe_ops = [&mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            let ops = unsafe_ops.into_iter().map(|op| (op, true)).chain([(&mut item.get, false)]);
            for (op, unsafe_method) in ops.filter_map(|(op, u)| op.as_mut().map(|op| (op, u))) {
                let public = op.security.as_ref().is_some_and(|s| s.iter().all(is_empty));
                if public {
                    // Declared `security(())`: no credentials; `[]` says so in the document.
                    op.security = Some(Vec::new());
                } else if op.security.is_none() {
                    op.security = Some(signed_in.clone());
                }
                add_errors(op, errors_of(op, public));
                if unsafe_method && !public {
                    // A change authenticated by the session cookie must send JSON (CSRF rule).
                    add_errors(op, &["415"]);
                }
            }
        }
    }
}

fn is_empty(s: &SecurityRequirement) -> bool {
    serde_json::to_value(s).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

/// Which refusals an operation can answer: signing in (public, with a body), nothing else
/// public (this document), a change (a body, or 201/204), or a read.
fn errors_of(op: &Operation, public: bool) -> &'static [&'static str] {
    let has = |s: &str| op.responses.responses.contains_key(s);
    match (public, op.request_body.is_some()) {
        (true, true) => SIGN_IN,
        (true, false) => &[],
        (false, true) => CHANGE,
        (false, false) if has("201") || has("204") => CHANGE,
        (false, false) => READ,
    }
}

/// Lists each error answer by reference, unless the operation documents that status itself.
fn add_errors(op: &mut Operation, statuses: &[&str]) {
    for status in statuses {
        op.responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/Error{status}"))));
    }
}

/// The document, built once from the router's declarations.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    let mut doc = super::api().into_openapi();
    Contract.modify(&mut doc);
    serde_json::to_string(&doc).unwrap_or_default()
});

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/openapi.json", operation_id = "openapi", security(()),
    summary = "This document: the management API's OpenAPI 3.1 description",
    responses((status = 200, description = "this document", content_type = "application/json", body = Object)))]
pub async fn document() -> Response {
    let mut res = DOCUMENT.as_str().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

// Schemas that name the server's own limits (utoipa's attributes take only literals).

/// An id (client_id, corp_id, union_id, a scope code): 1 to 128 printable ASCII characters.
pub fn id_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[!-~]+$"))
        .min_length(Some(1))
        .max_length(Some(MAX_ID_LEN))
        .into()
}

/// Text of 1 to `max` characters, not only blanks, without control characters (but tab and
/// line breaks where `breaks`).
pub fn text_schema(max: usize, breaks: bool) -> ObjectBuilder {
    let other = if breaks { "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f" } else { "\\x00-\\x1f\\x7f-\\x9f" };
    let pattern = format!("^[^{other}]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^{other}]*$");
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(max)).pattern(Some(pattern))
}

/// A rate limit in requests per second, or `null` for the route table's.
pub fn qps_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1))
        .maximum(Some(MAX_QPS))
        .into()
}

/// One kind of audit event.
pub fn audit_action_schema() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(AuditAction::ALL.iter().map(|a| a.as_str()))).into()
}

/// A decline's reason: 1 to 1000 characters, line breaks allowed.
pub fn reason_schema() -> Schema {
    text_schema(tessera_core::fixture::MAX_TEXT_LEN, true).into()
}

/// A permission request's description: at most 1000 characters (special and sensitive
/// scopes need one, which the server checks).
pub fn description_schema() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).max_length(Some(tessera_core::fixture::MAX_TEXT_LEN)).into()
}

/// An app's name: 1 to 100 characters on one line.
pub fn app_name_schema() -> Schema {
    text_schema(tessera_core::registration::MAX_APP_NAME_CHARS, false).into()
}

/// Redirect URIs: absolute http(s) URIs, at most 10.
pub fn redirect_uris_schema() -> Schema {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).format(Some(uri())))
        .max_items(Some(tessera_core::registration::MAX_REDIRECT_URIS))
        .into()
}

/// Seconds the previous secret keeps working: 0 to a week.
pub fn overlap_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(tessera_core::registration::MAX_SECRET_OVERLAP))
        .into()
}

/// An optional callback URL; `null` stops pushing.
pub fn callback_url_schema() -> Schema {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])).format(Some(uri())).into()
}

fn uri() -> utoipa::openapi::SchemaFormat {
    utoipa::openapi::SchemaFormat::Custom("uri".to_owned())
}

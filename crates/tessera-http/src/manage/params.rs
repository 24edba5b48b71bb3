//! The management API's path parameters, for the document: each is an id of 1 to 128
//! printable ASCII characters. The handlers read them as strings and parse them into the
//! core's id types, which answer `invalid_request` in the API's own error body.
//! (The id attributes below are literals, as utoipa takes only those; `ID_PATTERN_LEN`
//! in `openapi.rs` fails the build if the core's limit moves away from them.)
#![allow(dead_code)] // read by utoipa's derive only

use utoipa::IntoParams;

/// `{client_id}`: the app.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AppPath {
    /// The app's client id.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    client_id: String,
}

/// `{corp_id}`: the org.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrgPath {
    /// The org's corp id.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    corp_id: String,
}

/// `{scope}`: a scope code.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ScopePath {
    /// The scope's code.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    scope: String,
}

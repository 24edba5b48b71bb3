use http::Method;

use super::*;

const HEAD: &str = "[upstreams.api]\nurl = \"http://127.0.0.1:9000\"\n";

fn route(method: &str, path: &str) -> String {
    format!(
        "\n[[routes]]\nmethod = \"{method}\"\npath = \"{path}\"\ndialect = \"dingtalk\"\nscopes = [\"qyapi_get_member\"]\nupstream = \"api\"\n"
    )
}

fn refused(text: &str) -> RouteFileError {
    parse("routes.toml", text).expect_err("the file must be refused")
}

#[test]
fn the_demo_table_parses_and_the_literal_segment_wins() {
    let text = include_str!("../../../../../demo/routes.toml");
    let table = parse("demo/routes.toml", text).unwrap();
    assert_eq!(table.routes.len(), 9);
    let me = table.find(&Method::GET, "/v1.0/contact/users/me").unwrap();
    assert_eq!(me.template.text(), "/v1.0/contact/users/me");
    let user = table.find(&Method::GET, "/v1.0/contact/users/alice").unwrap();
    assert_eq!(user.template.text(), "/v1.0/contact/users/{userId}");
    assert_eq!(
        table.find(&Method::PUT, "/v1.0/contact/users/alice").unwrap().scopes[0].as_str(),
        "qyapi_manage_addresslist"
    );
    assert!(table.find(&Method::DELETE, "/v1.0/contact/users/alice").is_none());
    assert!(table.find(&Method::GET, "/v1.0/contact/users/alice/extra").is_none());
    assert!(table.find(&Method::GET, "/v1.0/contact/users/").is_none());
}

#[test]
fn two_templates_matching_the_same_requests_are_refused_with_both_lines() {
    let text = format!("{HEAD}{}{}", route("GET", "/v1/users/{id}"), route("GET", "/v1/users/{name}"));
    let e = refused(&text);
    assert_eq!(e.line, 11, "{e}");
    assert!(e.reason.contains("same requests") && e.reason.contains("line 4"), "{e}");
    // Different methods, or a literal beside a placeholder, are not a conflict.
    let text = format!(
        "{HEAD}{}{}{}",
        route("GET", "/v1/users/{id}"),
        route("PUT", "/v1/users/{id}"),
        route("GET", "/v1/users/me")
    );
    assert_eq!(parse("routes.toml", &text).unwrap().routes.len(), 3);
}

#[test]
fn bad_placeholders_are_refused_naming_the_line() {
    for bad in [
        "/v1/users/{}",
        "/v1/users/{id",
        "/v1/users/x{id}",
        "/v1/{a}/{a}",
        "/v1/users/{1d}",
        "v1/users",
        "/v1//users",
        "/v1/../x",
    ] {
        let e = refused(&format!("{HEAD}{}", route("GET", bad)));
        assert_eq!(e.line, 6, "{bad}: {e}");
        assert_eq!(e.file, "routes.toml");
    }
}

#[test]
fn malformed_files_unknown_fields_and_references_are_refused_naming_the_line() {
    let e = refused(&format!(
        "{HEAD}\n[[routes]]\nmethod = \"GET\"\npath = \"/x\"\ndialect = \"dingtalk\"\nupstream = \"api\"\nscopes = [\"a\"\n"
    ));
    assert!(e.line >= 9, "{e}");
    let e = refused(&format!("{HEAD}{}", route("GET", "/x").replace("upstream = \"api\"", "upstream = \"nope\"")));
    assert_eq!(e.line, 9, "{e}");
    assert!(e.reason.contains("nope"), "{e}");
    let e = refused(&format!("{HEAD}{}", route("GET", "/x").replace("dingtalk", "soap")));
    assert_eq!(e.line, 7, "{e}");
    let e = refused(&format!("{HEAD}{}", route("FETCH", "/x")));
    assert_eq!(e.line, 5, "{e}");
    let e = refused(&format!("{HEAD}{}colour = \"red\"\n", route("GET", "/x")));
    assert_eq!(e.line, 10, "{e}");
    let e = refused("[upstreams.api]\nurl = \"https://example.com\"\n");
    assert_eq!(e.line, 2, "{e}");
    let e = refused("[upstreams.api]\nurl = \"http://127.0.0.1:1\"\ntimeout_ms = 0\n");
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn unknown_scope_codes_are_refused_naming_their_line() {
    let text = format!(
        "{HEAD}{}",
        route("GET", "/x").replace("[\"qyapi_get_member\"]", "[\n  \"qyapi_get_member\",\n  \"no.such.scope\",\n]")
    );
    let table = parse("routes.toml", &text).unwrap();
    let e = table.check_scopes(|s| s.as_str() == "qyapi_get_member").unwrap_err();
    assert_eq!((e.line, e.file.as_str()), (10, "routes.toml"), "{e}");
    assert!(e.reason.contains("no.such.scope"), "{e}");
}

#[test]
fn a_bad_scope_code_in_a_route_table_is_an_error_naming_it() {
    let text = format!(
        "{HEAD}{}",
        route("GET", "/v1.0/x").replace("[\"qyapi_get_member\"]", "[\"qyapi_get_member\", \"qyapi get member\"]")
    );
    let e = refused(&text);
    assert_eq!((e.line, e.file.as_str()), (8, "routes.toml"), "{e}");
    assert!(e.reason.contains(r#""qyapi get member" is not a valid scope code"#), "{e}");
}

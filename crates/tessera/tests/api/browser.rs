//! A browser stand-in for the sign-in and consent pages: keeps cookies, never follows
//! redirects, and reads forms' hidden inputs.

use crate::helpers::*;

pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The hidden inputs of the page's forms, in order, unescaped.
    pub fn hidden(&self) -> Vec<(String, String)> {
        self.html
            .split(r#"<input type="hidden" name=""#)
            .skip(1)
            .filter_map(|rest| {
                let (name, rest) = rest.split_once(r#"" value=""#)?;
                let (value, _) = rest.split_once('"')?;
                Some((unescape(name), unescape(value)))
            })
            .collect()
    }

    /// A query parameter of the redirect target.
    pub fn location_param(&self, name: &str) -> Option<String> {
        let loc = self.location.as_deref()?;
        let query = loc.split_once('?')?.1;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
        pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

fn unescape(s: &str) -> String {
    // Pages escape with numeric character references (&#34; &#39; &#60; &#62; &#38;).
    s.replace("&#34;", "\"").replace("&#39;", "'").replace("&#60;", "<").replace("&#62;", ">").replace("&#38;", "&")
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.base)
    }

    /// A browser for the server at `base` (`http://host:port`).
    pub fn at(base: &str) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base: base.to_owned(), http }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from);
        Page { status, location, html: res.text().await.unwrap() }
    }

    pub async fn get(&self, path_or_url: &str) -> Page {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        Self::page(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(String, String)]) -> Page {
        Self::page(self.http.post(format!("{}{path}", self.base)).form(form).send().await.unwrap()).await
    }

    /// Signs in through the login page; returns the page the form answered with.
    pub async fn sign_in(&self, account: &str, password: &str, next: &str) -> Page {
        let login = self.get(&format!("/login?next={}", urlencode(next))).await;
        assert_eq!(login.status, 200, "{}", login.html);
        let mut form = login.hidden();
        form.push(("account".into(), account.into()));
        form.push(("password".into(), password.into()));
        self.post("/login", &form).await
    }

    /// Follows an authorization request through sign-in (if needed) and consent (if shown),
    /// approving; returns the final redirect to the client.
    pub async fn authorize(&self, path: &str, account: &str, password: &str) -> Page {
        let mut page = self.get(path).await;
        if page.status == 302 && page.location.as_deref().is_some_and(|l| l.starts_with("/login")) {
            let next = page.location_param("next").unwrap();
            let signed = self.sign_in(account, password, &next).await;
            assert_eq!(signed.status, 303, "{}", signed.html);
            page = self.get(signed.location.as_deref().unwrap()).await;
        }
        if page.status == 200 {
            let mut form = page.hidden();
            form.push(("decision".into(), "approve".into()));
            page = self.post("/oauth2/authorize", &form).await;
        }
        assert_eq!(page.status, 302, "{}", page.html);
        page
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap().trim_start_matches("v=").to_owned()
}

/// Exchanges a code at `/oauth2/token` as `dingdemoapp`.
pub async fn exchange(app: &TestApp, code: &str, verifier: Option<&str>) -> Reply {
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "http://127.0.0.1:8900/callback")];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    app.oauth_token(&form, Some(("dingdemoapp", "demo-secret"))).await
}

pub async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.oauth_token(&[("grant_type", "refresh_token"), ("refresh_token", token)], Some(("dingdemoapp", "demo-secret")))
        .await
}

pub async fn get_with(app: &TestApp, token: &str, path: &str) -> Reply {
    app.send(app.http.get(app.url(path)).header("x-acs-dingtalk-access-token", token)).await
}

pub fn doc_ids(r: &Reply) -> Vec<i64> {
    r.body["documents"].as_array().unwrap().iter().map(|d| d["docId"].as_i64().unwrap()).collect::<Vec<_>>()
}

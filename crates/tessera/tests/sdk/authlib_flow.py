"""Drives a running Tessera with Authlib, a standard OAuth 2 client library, unchanged.

The public client `dingcli` (no secret) runs the authorization-code flow with PKCE (S256):
Authlib builds the authorization URL, a requests.Session signs in as alice and approves the
consent page as a browser would, and Authlib exchanges the code and refreshes the token.

Usage: python authlib_flow.py 127.0.0.1:PORT
Prints one JSON object with what each step returned or raised.
"""
import html
import json
import re
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError

HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


def hidden_inputs(page):
    """The hidden fields of the page's form, unescaped."""
    return {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(page)}


def expect(response, status):
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.url}: expected {status}, got "
                         f"{response.status_code} {response.headers} {response.text}")
    return response


def sign_in_and_approve(base, authorization_url, account, password):
    """What the user does in the browser; returns the URL the server redirects back to."""
    browser = requests.Session()
    login = expect(browser.get(authorization_url), 200)  # redirected to the sign-in form
    form = hidden_inputs(login.text)
    form.update(account=account, password=password)
    signed_in = expect(browser.post(f"{base}/login", data=form, allow_redirects=False), 303)
    consent = expect(browser.get(base + signed_in.headers["Location"], allow_redirects=False), 200)
    form = hidden_inputs(consent.text)
    form["decision"] = "approve"
    approved = expect(browser.post(f"{base}/oauth2/authorize", data=form, allow_redirects=False), 302)
    return approved.headers["Location"]


def main():
    base = f"http://{sys.argv[1]}"
    token_url = f"{base}/oauth2/token"
    client = OAuth2Session(
        client_id="dingcli",
        token_endpoint_auth_method="none",
        redirect_uri="http://127.0.0.1:8901/callback",
        scope="Contact.User.Read",
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    authorization_url, _state = client.create_authorization_url(f"{base}/oauth2/authorize", code_verifier=verifier)
    callback = sign_in_and_approve(base, authorization_url, "alice-union", "alice-password")
    out = {"callback": callback}

    token = client.fetch_token(token_url, authorization_response=callback, code_verifier=verifier)
    out["token"] = dict(token)
    r = client.get(f"{base}/v1.0/contact/users/me")
    out["me"] = {"status": r.status_code, "body": r.json()}

    old_refresh = token["refresh_token"]
    out["refreshed"] = dict(client.refresh_token(token_url, refresh_token=old_refresh))
    r = client.get(f"{base}/v1.0/contact/users/me")  # with the refreshed token
    out["me_after_refresh"] = {"status": r.status_code, "body": r.json()}

    try:
        client.refresh_token(token_url, refresh_token=old_refresh)
        out["old_refresh"] = "no exception"
    except OAuthError as e:
        out["old_refresh"] = {"error": e.error, "description": e.description}

    print(json.dumps(out))


if __name__ == "__main__":
    main()

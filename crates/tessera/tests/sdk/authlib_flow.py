"""Drives a running Tessera with Authlib, a standard OAuth 2 client library, unchanged.

The public client `dingcli` (no secret) runs the authorization-code flow with PKCE (S256):
Authlib builds the authorization URL, a requests.Session signs in as alice and approves the
consent page as a browser would, and Authlib exchanges the code and refreshes the token.

Usage: python authlib_flow.py 127.0.0.1:PORT
Prints one JSON object with what each step returned or raised.
"""
import json
import sys

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from browser_flow import sign_in_and_approve

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

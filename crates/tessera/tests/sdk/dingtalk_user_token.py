"""Gets user tokens from a running Tessera with the official DingTalk Python SDK, unchanged.

A requests.Session signs in as alice at DingTalk's authorization page (`/oauth2/auth`) and
approves the consent page as a browser would; the SDK's GetUserToken then exchanges the
`authCode` of the redirect and refreshes the token.

Usage: python dingtalk_user_token.py 127.0.0.1:PORT
Prints one JSON object with what each call returned or raised.
"""
import json
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
from alibabacloud_tea_openapi import models as open_api_models

from browser_flow import sign_in_and_approve

def error(e):
    """The fields a caller reads from the SDK's exception."""
    return {"type": type(e).__name__, "code": getattr(e, "code", None),
            "statusCode": getattr(e, "statusCode", None), "message": getattr(e, "message", None)}


def main():
    base = f"http://{sys.argv[1]}"
    query = urlencode({
        "redirect_uri": "http://127.0.0.1:8900/callback", "response_type": "code", "client_id": "dingdemoapp",
        "scope": "openid corpid Contact.User.Read", "state": "s1", "prompt": "consent",
    })
    callback = sign_in_and_approve(base, f"{base}/oauth2/auth?{query}", "alice-union", "alice-password")
    auth_code = parse_qs(urlsplit(callback).query)["authCode"][0]
    out = {"callback": callback}

    oauth = OAuthClient(open_api_models.Config(protocol="http", endpoint=sys.argv[1]))
    r = oauth.get_user_token(oauth_models.GetUserTokenRequest(
        client_id="dingdemoapp", client_secret="demo-secret", code=auth_code, grant_type="authorization_code"))
    out["code_grant"] = {"status": r.status_code, "body": r.body.to_map()}

    r = oauth.get_user_token(oauth_models.GetUserTokenRequest(
        client_id="dingdemoapp", client_secret="demo-secret", grant_type="refresh_token",
        refresh_token=r.body.refresh_token))
    out["refresh_grant"] = {"status": r.status_code, "body": r.body.to_map()}

    try:
        oauth.get_user_token(oauth_models.GetUserTokenRequest(
            client_id="dingdemoapp", client_secret="wrong", code=auth_code, grant_type="authorization_code"))
        out["bad_secret"] = "no exception"
    except Exception as e:  # noqa: BLE001 - the SDK raises several exception types
        out["bad_secret"] = error(e)

    try:
        oauth.get_user_token(oauth_models.GetUserTokenRequest(
            client_id="dingdemoapp", client_secret="demo-secret", code=auth_code, grant_type="authorization_code"))
        out["code_reused"] = "no exception"
    except Exception as e:  # noqa: BLE001
        out["code_reused"] = error(e)

    print(json.dumps(out))


if __name__ == "__main__":
    main()

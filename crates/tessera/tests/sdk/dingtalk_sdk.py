"""Drives a running Tessera with the official DingTalk Python SDK, unchanged.

Usage: python dingtalk_sdk.py 127.0.0.1:PORT
Prints one JSON object with what each call returned or raised.
"""
import json
import sys

from alibabacloud_dingtalk.contact_1_0 import models as contact_models
from alibabacloud_dingtalk.contact_1_0.client import Client as ContactClient
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models


def error(e):
    """The fields a caller reads from the SDK's exception (tea-openapi 0.3 or 0.4)."""
    inner = getattr(e, "inner_exception", None) or e
    detail = getattr(inner, "accessDeniedDetail", None) or (getattr(e, "data", None) or {}).get("accessdenieddetail")
    return {
        "type": type(e).__name__,
        "code": getattr(e, "code", None),
        "statusCode": getattr(e, "statusCode", None),
        "message": getattr(e, "message", None),
        "accessDeniedDetail": detail,
    }


def main():
    config = open_api_models.Config(protocol="http", endpoint=sys.argv[1])
    oauth = OAuthClient(config)
    contact = ContactClient(config)
    out = {}

    r = oauth.get_token("dingdemo", oauth_models.GetTokenRequest(
        client_id="dingdemoapp", client_secret="demo-secret", grant_type="client_credentials"))
    out["get_token"] = {"status": r.status_code, "body": r.body.to_map()}

    r = oauth.get_access_token(oauth_models.GetAccessTokenRequest(app_key="dingbasic", app_secret="basic-secret"))
    out["get_access_token"] = {"status": r.status_code, "body": r.body.to_map()}
    basic_token = r.body.access_token

    try:
        oauth.get_access_token(oauth_models.GetAccessTokenRequest(app_key="dingdemoapp", app_secret="wrong"))
        out["bad_secret"] = "no exception"
    except Exception as e:  # noqa: BLE001 - the SDK raises several exception types
        out["bad_secret"] = error(e)

    try:
        oauth.get_token("dingother", oauth_models.GetTokenRequest(
            client_id="dingdemoapp", client_secret="demo-secret", grant_type="client_credentials"))
        out["not_installed"] = "no exception"
    except Exception as e:  # noqa: BLE001
        out["not_installed"] = error(e)

    headers = contact_models.GetUserHeaders(x_acs_dingtalk_access_token=out["get_token"]["body"]["access_token"])
    r = contact.get_user_with_options("alice-union", headers, util_models.RuntimeOptions())
    out["get_user"] = {"status": r.status_code, "body": r.body.to_map()}

    try:
        headers = contact_models.GetUserHeaders(x_acs_dingtalk_access_token=basic_token)
        contact.get_user_with_options("alice-union", headers, util_models.RuntimeOptions())
        out["forbidden"] = "no exception"
    except Exception as e:  # noqa: BLE001
        out["forbidden"] = error(e)

    print(json.dumps(out))


if __name__ == "__main__":
    main()

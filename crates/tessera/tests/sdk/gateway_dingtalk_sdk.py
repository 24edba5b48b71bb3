"""The official DingTalk Python SDK calling an Open API through Tessera's proxy.

Usage: python gateway_dingtalk_sdk.py 127.0.0.1:PORT
The route GET /v1.0/contact/users/{unionId} goes to the test's upstream and allows one call
per app per second. Prints one JSON object with what each call returned or raised.
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

    def token(app_key, secret):
        r = oauth.get_access_token(oauth_models.GetAccessTokenRequest(app_key=app_key, app_secret=secret))
        return r.body.access_token

    def get_user(access_token):
        headers = contact_models.GetUserHeaders(x_acs_dingtalk_access_token=access_token)
        return contact.get_user_with_options("alice-union", headers, util_models.RuntimeOptions())

    demo, basic = token("dingdemoapp", "demo-secret"), token("dingbasic", "basic-secret")
    r = get_user(demo)
    out["allowed"] = {"status": r.status_code, "body": r.body.to_map()}
    for name, access_token in [("forbidden", basic), ("limited", demo)]:
        try:
            get_user(access_token)
            out[name] = "no exception"
        except Exception as e:  # noqa: BLE001 - the SDK raises several exception types
            out[name] = error(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

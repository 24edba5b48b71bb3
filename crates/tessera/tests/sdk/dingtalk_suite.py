"""Drives a running Tessera's ISV suite operations with the official DingTalk Python SDK.

Usage: python dingtalk_suite.py 127.0.0.1:PORT SUITE_KEY SUITE_SECRET SUITE_TICKET
Prints one JSON object with what each call returned or raised.
"""
import json
import sys

from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models


def error(e):
    """The fields a caller reads from the SDK's exception (tea-openapi 0.3 or 0.4)."""
    return {
        "type": type(e).__name__,
        "code": getattr(e, "code", None),
        "statusCode": getattr(e, "statusCode", None),
        "message": getattr(e, "message", None),
    }


def attempt(out, name, call):
    try:
        r = call()
        out[name] = {"status": r.status_code, "body": r.body.to_map()}
    except Exception as e:  # noqa: BLE001 - the SDK raises several exception types
        out[name] = error(e)


def main():
    endpoint, key, secret, ticket = sys.argv[1:5]
    oauth = OAuthClient(open_api_models.Config(protocol="http", endpoint=endpoint))
    out = {}

    attempt(out, "suite_token", lambda: oauth.get_suite_access_token(oauth_models.GetSuiteAccessTokenRequest(
        suite_key=key, suite_secret=secret, suite_ticket=ticket)))
    attempt(out, "corp_token", lambda: oauth.get_corp_access_token(oauth_models.GetCorpAccessTokenRequest(
        auth_corp_id="dingother", suite_key=key, suite_secret=secret, suite_ticket=ticket)))
    attempt(out, "get_token", lambda: oauth.get_token("dingdemo", oauth_models.GetTokenRequest(
        client_id=key, client_secret=secret, grant_type="client_credentials")))

    suite_token = out.get("suite_token", {}).get("body", {}).get("accessToken", "")
    headers = oauth_models.GetAuthInfoHeaders(x_acs_dingtalk_access_token=suite_token)
    attempt(out, "auth_info", lambda: oauth.get_auth_info_with_options(
        oauth_models.GetAuthInfoRequest(auth_corp_id="dingother"), headers, util_models.RuntimeOptions()))

    attempt(out, "forged_ticket", lambda: oauth.get_suite_access_token(oauth_models.GetSuiteAccessTokenRequest(
        suite_key=key, suite_secret=secret, suite_ticket="st-forged")))
    attempt(out, "bad_suite_key", lambda: oauth.get_corp_access_token(oauth_models.GetCorpAccessTokenRequest(
        auth_corp_id="dingother", suite_key="nosuchsuite", suite_secret=secret, suite_ticket=ticket)))
    attempt(out, "not_activated", lambda: oauth.get_corp_access_token(oauth_models.GetCorpAccessTokenRequest(
        auth_corp_id="dingnowhere", suite_key=key, suite_secret=secret, suite_ticket=ticket)))

    print(json.dumps(out))


if __name__ == "__main__":
    main()

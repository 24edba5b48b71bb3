"""Drives the official Feishu/Lark Python SDK (lark-oapi) against a Tessera server.

Usage: lark_sdk.py BASE_URL CODE
  BASE_URL  http://127.0.0.1:PORT
  CODE      an authorization code for cli_feishudemo (scopes include offline_access)
Prints one JSON object with what each call answered.
"""
import json
import sys

import lark_oapi as lark
from lark_oapi.api.authen.v1 import (
    CreateOidcAccessTokenRequest,
    CreateOidcAccessTokenRequestBody,
    CreateOidcRefreshAccessTokenRequest,
    CreateOidcRefreshAccessTokenRequestBody,
    GetUserInfoRequest,
)
from lark_oapi.api.contact.v3 import GetUserRequest
from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

base, code = sys.argv[1], sys.argv[2]


def client(app_id, secret, **extra):
    b = lark.Client.builder().app_id(app_id).app_secret(secret).domain(base).log_level(lark.LogLevel.ERROR)
    if extra.get("set_token"):
        b = b.enable_set_token(True)
    return b.build()


def outcome(resp, data=None):
    out = {"ok": resp.success(), "code": resp.code, "msg": resp.msg, "log_id": resp.get_log_id()}
    if resp.error is not None:
        out["error"] = resp.error if isinstance(resp.error, dict) else str(resp.error)
    if data is not None:
        out["data"] = data
    return out


def message(c, receiver, option=None):
    req = (
        CreateMessageRequest.builder()
        .receive_id_type("open_id")
        .request_body(
            CreateMessageRequestBody.builder()
            .receive_id(receiver)
            .msg_type("text")
            .content(json.dumps({"text": "hello"}))
            .build()
        )
        .build()
    )
    return c.im.v1.message.create(req, option) if option else c.im.v1.message.create(req)


result = {}
bot = client("cli_feishudemo", "feishu-secret")

# Tenant token fetched lazily by the SDK, then an API call with it.
resp = message(bot, "bob-union")
result["bot_message"] = outcome(resp, resp.data and {"message_id": resp.data.message_id, "sender_type": resp.data.sender.sender_type})
resp = bot.contact.v3.user.get(GetUserRequest.builder().user_id("bob-union").user_id_type("open_id").build())
result["get_user"] = outcome(resp, resp.data and {"name": resp.data.user.name, "user_id": resp.data.user.user_id})

# An app without the messaging scope: 99991672 with the missing scope named.
ro = client("dingreadonly", "readonly-secret")
result["scope_error"] = outcome(message(ro, "bob-union"))

# A wrong secret: the SDK raises when it fetches the tenant token.
# (The SDK caches tokens process-wide by app id: use an app not fetched above.)
try:
    message(client("dingbasic", "wrong"), "bob-union")
    result["bad_secret"] = {"raised": None}
except Exception as e:  # noqa: BLE001
    result["bad_secret"] = {"raised": type(e).__name__, "text": str(e)}

# User token: legacy OIDC code exchange (the SDK fetches an app token first), refresh,
# then calls with the user token.
resp = bot.authen.v1.oidc_access_token.create(
    CreateOidcAccessTokenRequest.builder()
    .request_body(CreateOidcAccessTokenRequestBody.builder().grant_type("authorization_code").code(code).build())
    .build()
)
result["oidc_token"] = outcome(resp)
uat = resp.data.access_token if resp.success() else None
refresh = resp.data.refresh_token if resp.success() else None
resp = bot.authen.v1.oidc_refresh_access_token.create(
    CreateOidcRefreshAccessTokenRequest.builder()
    .request_body(
        CreateOidcRefreshAccessTokenRequestBody.builder().grant_type("refresh_token").refresh_token(refresh or "").build()
    )
    .build()
)
result["refreshed"] = outcome(resp, resp.data and {"access_token_prefix": resp.data.access_token[:2], "changed": resp.data.access_token != uat})
new_uat = resp.data.access_token if resp.success() else ""

user_client = client("cli_feishudemo", "feishu-secret", set_token=True)
opt = lark.RequestOption.builder().user_access_token(new_uat).build()
resp = user_client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), opt)
result["user_info"] = outcome(resp, resp.data and {"open_id": resp.data.open_id, "name": resp.data.name})
# The user granted doc:readonly and offline_access only: sending as them is 99991679.
result["user_scope_error"] = outcome(message(user_client, "bob-union", opt))
bad = lark.RequestOption.builder().user_access_token("u-not-a-token").build()
result["bad_user_token"] = outcome(user_client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), bad))

# The consumed refresh token again: 20073 (and its family is revoked).
resp = bot.authen.v1.oidc_refresh_access_token.create(
    CreateOidcRefreshAccessTokenRequest.builder()
    .request_body(
        CreateOidcRefreshAccessTokenRequestBody.builder().grant_type("refresh_token").refresh_token(refresh or "").build()
    )
    .build()
)
result["refresh_reused"] = outcome(resp)

print(json.dumps(result))

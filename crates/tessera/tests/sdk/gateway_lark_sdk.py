"""The official Feishu/Lark Python SDK (lark-oapi) calling an Open API through Tessera's proxy.

Usage: gateway_lark_sdk.py BASE_URL
The route POST /open-apis/im/v1/messages goes to the test's upstream and allows one call per
app per second. Prints one JSON object with what each call answered.
"""
import json
import sys

import lark_oapi as lark
from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

base = sys.argv[1]


def client(app_id, secret):
    return lark.Client.builder().app_id(app_id).app_secret(secret).domain(base).log_level(lark.LogLevel.ERROR).build()


def send(c):
    body = CreateMessageRequestBody.builder().receive_id("bob-union").msg_type("text")
    body = body.content(json.dumps({"text": "hello"})).build()
    return c.im.v1.message.create(CreateMessageRequest.builder().receive_id_type("open_id").request_body(body).build())


def outcome(resp):
    out = {"ok": resp.success(), "code": resp.code, "msg": resp.msg}
    if resp.error is not None:
        out["error"] = resp.error if isinstance(resp.error, dict) else str(resp.error)
    if resp.success():
        out["data"] = {"message_id": resp.data.message_id}
    return out


bot, readonly = client("cli_feishudemo", "feishu-secret"), client("dingreadonly", "readonly-secret")
result = {"allowed": outcome(send(bot)), "forbidden": outcome(send(readonly)), "limited": outcome(send(bot))}
print(json.dumps(result))

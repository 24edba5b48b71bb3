"""lark-oapi as a store (ISV) app against a Tessera server: the SDK gets the app token with
the app_ticket (auth/v3/app_access_token), then the tenant token for the tenant_key
(auth/v3/tenant_access_token), then calls an API. A forged ticket is tried first.

Usage: lark_isv.py BASE_URL TICKET
"""
import json
import sys

import lark_oapi as lark
from lark_oapi.api.contact.v3 import GetUserRequest

base, ticket = sys.argv[1], sys.argv[2]
client = (
    lark.Client.builder()
    .app_id("suitedemo")
    .app_secret("suite-secret")
    .app_type(lark.AppType.ISV)
    .domain(base)
    .log_level(lark.LogLevel.ERROR)
    .build()
)
req = GetUserRequest.builder().user_id("carol").user_id_type("user_id").build()
result = {}
try:
    forged = lark.RequestOption.builder().app_ticket("st-forged").tenant_key("dingother").build()
    r = client.contact.v3.user.get(req, forged)
    result["forged"] = {"raised": None, "code": r.code}
except Exception as e:  # noqa: BLE001
    result["forged"] = {"raised": type(e).__name__, "text": str(e)}
opt = lark.RequestOption.builder().app_ticket(ticket).tenant_key("dingother").build()
r = client.contact.v3.user.get(req, opt)
result["user"] = {"ok": r.success(), "code": r.code, "msg": r.msg, "name": r.data.user.name if r.success() else None}
print(json.dumps(result))

"""lark-oapi's DeviceFlowClient against a Tessera server.

Usage: lark_device.py BASE_URL
Prints the verification_uri_complete on the first line (the test approves it), then one JSON
object: the user token, its refresh, and a reuse of the consumed refresh token.
"""
import asyncio
import json
import sys

from lark_oapi.channel.auth.device_flow import DeviceFlowClient


async def main(base):
    flow = DeviceFlowClient("cli_feishudemo", "feishu-secret", domain=base)
    init = await flow.start(["doc:readonly", "offline_access"])
    print(init.verification_uri_complete, flush=True)
    uat = await flow.poll(init.device_code, interval=init.interval, timeout_seconds=60)
    refreshed = await flow.refresh(uat.refresh_token)
    try:
        await flow.refresh(uat.refresh_token)
        reused = None
    except Exception as e:  # noqa: BLE001
        reused = f"{type(e).__name__}: {e}"
    await flow.close()
    print(json.dumps({
        "user_code": init.user_code,
        "interval": init.interval,
        "access_prefix": uat.access_token[:2],
        "scopes": uat.scopes,
        "has_refresh": bool(uat.refresh_token),
        "refreshed_prefix": refreshed.access_token[:2],
        "rotated": refreshed.refresh_token != uat.refresh_token,
        "reused": reused,
    }))


asyncio.run(main(sys.argv[1]))

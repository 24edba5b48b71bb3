#!/usr/bin/env python3
"""Helpers of bench/run.sh for the user-token scenarios (d), (e), (i) and (x); Python
standard library only, one HTTP/1.1 keep-alive client on asyncio streams.

  bench.py access BASE            prints a user access token of alice for dingdemoapp
  bench.py mint BASE N FILE       appends N refresh-grant form bodies to FILE, one a line,
                                  each with a refresh token of its own; prints "N SECONDS"
  bench.py codes BASE N FILE      appends N code-exchange form bodies to FILE, one a line,
                                  each with an authorization code of its own; prints "N SECONDS"

Minting: sign in as alice (GET /login for the login cookie and CSRF token, POST /login),
authorize dingdemoapp once on the consent page, then per token GET /oauth2/authorize with
the session cookie (302 with a code straight away: consent was given) and exchange the
code at POST /oauth2/token. Every token is the head of a family of its own, so a stray
reuse would revoke one family only.

The load of (d) and (x) is wrk with bench/single_use.lua (oha's -Z picks a random line for
each request, with repetition, and these lines are single-use).
"""
import asyncio, base64, html, json, os, re, sys, time
from urllib.parse import parse_qs, quote, urlencode, urlsplit

CLIENT, SECRET = "dingdemoapp", "demo-secret"
REDIRECT = "http://127.0.0.1:8900/callback"
# BENCH_CODE_SCOPE: the scopes asked for (without `openid`, an exchange signs no ID token).
SCOPE = os.environ.get("BENCH_CODE_SCOPE", "openid Contact.User.Read doc:readonly")
AUTHORIZE = "/oauth2/authorize?" + urlencode(
    {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "scope": SCOPE, "state": "x"},
    quote_via=quote)
BASIC = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
FORM = "application/x-www-form-urlencoded"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
MINT_CONNECTIONS = 16


def fail(msg):
    sys.exit(f"bench.py: {msg}")


class Conn:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, url):
        u = urlsplit(url)
        self.host, self.port, self.netloc = u.hostname, u.port or 80, u.netloc
        self.reader = self.writer = None

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, target, headers=(), body=b""):
        """(status, [(lower-case name, value)], body)"""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {target} HTTP/1.1\r\nhost: {self.netloc}\r\n"
        head += "".join(f"{h}\r\n" for h in headers)
        if body or method == "POST":
            head += f"content-length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)[1]
        fields = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
        get = lambda name: next((v for k, v in fields if k == name), "")
        if "chunked" in get("transfer-encoding").lower():
            out = b""
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                out += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            out = await self.reader.readexactly(int(get("content-length") or 0))
        if get("connection").lower() == "close":
            self.close()
        return status, fields, out


def header(fields, name):
    return [v for k, v in fields if k == name]


def cookie(fields, name):
    for value in header(fields, "set-cookie"):
        k, _, v = value.split(";", 1)[0].partition("=")
        if k.strip() == name:
            return v
    fail(f"the response set no {name} cookie")


def hidden(page):
    return [(html.unescape(k), html.unescape(v)) for k, v in HIDDEN.findall(page.decode())]


def code_of(status, fields, body):
    if status != "302":
        fail(f"GET /oauth2/authorize: expected a 302 with a code, got {status}: {body[:300]!r}")
    location = header(fields, "location")[0]
    q = parse_qs(urlsplit(location).query)
    if "code" not in q:
        fail(f"no code in {location}")
    return q["code"][0]


async def sign_in(conn):
    status, fields, page = await conn.request("GET", "/login?next=/account")
    login = cookie(fields, "tessera_login")
    form = dict(hidden(page))
    body = urlencode({"account": "alice-union", "password": "alice-password",
                      "csrf": form["csrf"], "next": form["next"]}).encode()
    status, fields, page = await conn.request(
        "POST", "/login", [f"content-type: {FORM}", f"cookie: tessera_login={login}"], body)
    if status != "303":
        fail(f"POST /login answered {status}: {page[:300]!r}")
    return f"cookie: tessera_session={cookie(fields, 'tessera_session')}"


async def authorize(conn, session):
    status, fields, page = await conn.request("GET", AUTHORIZE, [session])
    if status == "200":  # the consent page, the first time only: approve it
        body = urlencode(hidden(page) + [("decision", "approve")]).encode()
        status, fields, page = await conn.request(
            "POST", "/oauth2/authorize", [f"content-type: {FORM}", session], body)
    return code_of(status, fields, page)


async def exchange(conn, code):
    body = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}).encode()
    status, _, out = await conn.request(
        "POST", "/oauth2/token", [f"content-type: {FORM}", f"authorization: {BASIC}"], body)
    if status != "200":
        fail(f"code exchange answered {status}: {out[:300]!r}")
    return json.loads(out)


async def access(base):
    conn = Conn(base)
    pair = await exchange(conn, await authorize(conn, await sign_in(conn)))
    print(pair["access_token"])


async def mint(base, n, path):
    conn = Conn(base)
    session = await sign_in(conn)
    await exchange(conn, await authorize(conn, session))  # consent, once
    lines, left = [], [n]

    async def worker():
        c = Conn(base)
        while left[0] > 0:
            left[0] -= 1
            token = (await exchange(c, await authorize(c, session)))["refresh_token"]
            lines.append(urlencode({"grant_type": "refresh_token", "refresh_token": token}) + "\n")
        c.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(MINT_CONNECTIONS)))
    elapsed = time.monotonic() - start
    with open(path, "a") as f:
        f.writelines(lines)
    print(len(lines), f"{elapsed:.2f}")


async def codes(base, n, path):
    conn = Conn(base)
    session = await sign_in(conn)
    await exchange(conn, await authorize(conn, session))  # consent, once
    lines, left = [], [n]

    async def worker():
        c = Conn(base)
        while left[0] > 0:
            left[0] -= 1
            code = await authorize(c, session)
            lines.append(urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}) + "\n")
        c.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(MINT_CONNECTIONS)))
    elapsed = time.monotonic() - start
    with open(path, "a") as f:
        f.writelines(lines)
    print(len(lines), f"{elapsed:.2f}")


def main(argv):
    match argv:
        case ["access", base]:
            asyncio.run(access(base))
        case ["mint", base, n, path]:
            asyncio.run(mint(base, int(n), path))
        case ["codes", base, n, path]:
            asyncio.run(codes(base, int(n), path))
        case _:
            fail(__doc__)


main(sys.argv[1:])

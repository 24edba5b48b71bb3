"""Authlib 1.9 + Flask as the benchmark runs it: one confidential client with the
client_credentials grant, tokens stored in SQLite (WAL journal), RFC 7662 introspection.
Run under gunicorn with two worker processes:

    BENCH_DB=/tmp/tokens.db gunicorn -w 2 -b 127.0.0.1:PORT app:app
"""
import hmac
import os
import sqlite3
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask

DB = os.environ.get("BENCH_DB", "tokens.db")
CLIENT_ID, CLIENT_SECRET = "benchclient", "bench-secret"
_local = threading.local()


def db():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS tokens (access_token TEXT PRIMARY KEY, client_id TEXT NOT NULL,"
            " scope TEXT, issued_at INTEGER NOT NULL, expires_in INTEGER NOT NULL)"
        )
        _local.conn = conn
    return conn


class Client(ClientMixin):
    def get_client_id(self):
        return CLIENT_ID

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class Token(TokenMixin):
    def __init__(self, access_token, client_id, scope, issued_at, expires_in):
        self.access_token, self.client_id, self.scope = access_token, client_id, scope
        self.issued_at, self.expires_in = issued_at, expires_in

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return False


def query_client(client_id):
    return Client() if client_id == CLIENT_ID else None


def save_token(token, request):
    db().execute(
        "INSERT INTO tokens (access_token, client_id, scope, issued_at, expires_in) VALUES (?, ?, ?, ?, ?)",
        (token["access_token"], request.client.get_client_id(), token.get("scope", ""), int(time.time()),
         token["expires_in"]),
    )


class Introspection(IntrospectionEndpoint):
    def query_token(self, token, token_type_hint):
        row = db().execute(
            "SELECT access_token, client_id, scope, issued_at, expires_in FROM tokens WHERE access_token = ?",
            (token,),
        ).fetchone()
        return Token(*row) if row else None

    def introspect_token(self, token):
        return {
            "active": True,
            "client_id": token.client_id,
            "token_type": "Bearer",
            "scope": token.get_scope(),
            "iat": token.issued_at,
            "exp": token.issued_at + token.expires_in,
        }

    def check_permission(self, token, client, request):
        return token.check_client(client)


app = Flask(__name__)
server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
server.register_grant(grants.ClientCredentialsGrant)
server.register_endpoint(Introspection)


@app.post("/oauth/token")
def issue_token():
    return server.create_token_response()


@app.post("/oauth/introspect")
def introspect():
    return server.create_endpoint_response(Introspection.ENDPOINT_NAME)

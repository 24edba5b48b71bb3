#!/usr/bin/env python3
"""Measures the longest single purge transaction for ~50,000 expired rows, on SQLite and
PostgreSQL: the old purge (one DELETE per table in one transaction, no index on the expiry
column) against the batched one (statements of at most 1,000 rows, expiry indexed).

Usage, from the repository root, after a build of the `tessera` binary:

    python3 bench/purge_stall.py [ROWS]

Needs `psql` and PostgreSQL at 127.0.0.1:5432 (user postgres, database `test` to create and
drop its own database); TESSERA_BIN picks the binary (default target/release/tessera, else
target/debug/tessera).
"""
import os, re, sqlite3, subprocess, sys, tempfile, time, uuid

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
BATCH = 1000
ADMIN = os.environ.get("TESSERA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BIN = os.environ.get("TESSERA_BIN") or next(
    p for p in ("target/release/tessera", "target/debug/tessera") if os.path.exists(p))
OLD = "DELETE FROM access_tokens WHERE expires_at <= 5000"
SELECT = f"SELECT f.token_hash FROM access_tokens f WHERE f.expires_at <= 5000 LIMIT {BATCH}"
# PostgreSQL plans the purge's `IN ($1, …, $1000)` like `= ANY(array)`; here the keys come
# from the same SELECT inside the statement (so its time is included).
NEW_PG = (f"DELETE FROM access_tokens AS f WHERE f.token_hash = ANY(ARRAY("
          f"SELECT token_hash FROM access_tokens WHERE expires_at <= 5000 LIMIT {BATCH}))")


def migrate(url, data_dir):
    subprocess.run([BIN, "load-fixture", "--database-url", url, "--data-dir", data_dir, "demo/fixture.toml"],
                   check=True, capture_output=True)


def sqlite_run(path):
    db = sqlite3.connect(path, isolation_level=None)

    def fill():
        db.execute("BEGIN")
        db.executemany("INSERT INTO access_tokens (token_hash, kind, client_id, issued_at, expires_at, revoked, scopes)"
                       " VALUES (?, 'app', 'dingdemoapp', 1, 1000, 0, '')",
                       ((uuid.uuid4().hex,) for _ in range(ROWS)))
        db.execute("COMMIT")

    fill()
    db.execute("DROP INDEX access_tokens_expiry")
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    old_rows = db.execute(OLD).rowcount
    db.execute("COMMIT")
    old = (time.perf_counter() - start) * 1000
    db.execute("CREATE INDEX access_tokens_expiry ON access_tokens (expires_at)")
    fill()
    batches, new_rows = [], 0
    while True:
        # As the purge does: select up to 1,000 keys by the expiry index, delete them by key
        # in one statement (autocommit: its own transaction). Both are timed.
        start = time.perf_counter()
        keys = [k for (k,) in db.execute(SELECT)]
        if not keys:
            break
        n = db.execute(f"DELETE FROM access_tokens AS f WHERE f.token_hash IN ({', '.join('?' * len(keys))})",
                       keys).rowcount
        batches.append((time.perf_counter() - start) * 1000)
        new_rows += n
        if len(keys) < BATCH:
            break
    return old_rows, old, new_rows, batches


def psql(url, sql):
    out = subprocess.run(["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1"], input="\\timing on\n" + sql,
                         check=True, capture_output=True, text=True).stdout
    return [float(t) for t in re.findall(r"Time: ([0-9.]+) ms", out)], out


def postgres_run(url):
    fill = (f"INSERT INTO access_tokens (token_hash, kind, client_id, issued_at, expires_at, revoked, scopes) "
            f"SELECT md5(random()::text || g::text), 'app', 'dingdemoapp', 1, 1000, false, '' "
            f"FROM generate_series(1, {ROWS}) g;\nVACUUM ANALYZE access_tokens;\n")
    psql(url, "\\timing off\n" + fill + "DROP INDEX access_tokens_expiry;\n")
    times, _ = psql(url, f"BEGIN;\n{OLD};\nCOMMIT;\n")
    old = sum(times)
    psql(url, "\\timing off\nCREATE INDEX access_tokens_expiry ON access_tokens (expires_at);\n" + fill)
    batches = []
    while True:
        times, out = psql(url, NEW_PG + ";\nSELECT count(*) FROM access_tokens WHERE expires_at <= 5000;\n")
        batches.append(times[0])
        left = [line for line in out.splitlines() if line.strip() and not line.startswith("Time:")]
        if left[-1].strip() == "0":
            break
    return ROWS, old, ROWS, batches


def report(store, old_rows, old, new_rows, batches):
    median = sorted(batches)[len(batches) // 2]
    print(f"| {store} | {old_rows} rows in 1 transaction: {old:.1f} ms | {new_rows} rows in {len(batches)} "
          f"transactions: longest {max(batches):.1f} ms, median {median:.1f} ms, total {sum(batches):.1f} ms |")


if __name__ == "__main__":
    print("| store | before (one transaction, no expiry index) | after (batches of 1,000, indexed) |")
    print("| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tessera.db")
        migrate(f"sqlite://{path}", tmp)
        report("SQLite", *sqlite_run(path))
    name = f"purge_stall_{uuid.uuid4().hex[:12]}"
    base = ADMIN.rsplit("/", 1)[0]
    subprocess.run(["psql", ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            migrate(f"{base}/{name}", tmp)
            report("PostgreSQL", *postgres_run(f"{base}/{name}"))
    finally:
        subprocess.run(["psql", ADMIN, "-qc", f"DROP DATABASE {name}"], check=True)

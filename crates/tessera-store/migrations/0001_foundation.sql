-- Foundation schema. Times are Unix seconds; hashes are 64 hex digits; JSON in TEXT.
CREATE TABLE scopes (
    code TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    tier TEXT NOT NULL,
    eligible_role TEXT,
    open_for_requests BOOLEAN NOT NULL,
    requires_verified_org BOOLEAN NOT NULL,
    identity TEXT NOT NULL
);

CREATE TABLE orgs (
    corp_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    verified BOOLEAN NOT NULL
);

CREATE TABLE users (
    union_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT
);

CREATE TABLE members (
    corp_id TEXT NOT NULL REFERENCES orgs (corp_id),
    user_id TEXT NOT NULL,
    union_id TEXT NOT NULL REFERENCES users (union_id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    roles TEXT NOT NULL,
    PRIMARY KEY (corp_id, user_id),
    UNIQUE (corp_id, union_id)
);

CREATE TABLE apps (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner_corp_id TEXT NOT NULL REFERENCES orgs (corp_id),
    secret_hash TEXT NOT NULL,
    redirect_uris TEXT NOT NULL
);

CREATE TABLE permission_requests (
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    reason TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, scope)
);

CREATE TABLE installations (
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    corp_id TEXT NOT NULL REFERENCES orgs (corp_id),
    installed_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, corp_id)
);

CREATE TABLE org_grants (
    client_id TEXT NOT NULL,
    corp_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, corp_id, scope),
    FOREIGN KEY (client_id, corp_id) REFERENCES installations (client_id, corp_id)
);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    corp_id TEXT,
    union_id TEXT,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL
);
CREATE INDEX access_tokens_app ON access_tokens (client_id, corp_id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    corp_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_corp ON audit_events (corp_id, seq);

CREATE TABLE departments (
    corp_id TEXT NOT NULL REFERENCES orgs (corp_id),
    dept_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (corp_id, dept_id)
);

-- User identity: token families, consents, authorization codes, refresh tokens, sessions,
-- public clients, and the sample API's documents.
ALTER TABLE apps ADD COLUMN public_client BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE access_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN family_id TEXT;
CREATE INDEX access_tokens_family ON access_tokens (family_id);

CREATE TABLE token_families (
    family_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    union_id TEXT NOT NULL REFERENCES users (union_id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX token_families_user ON token_families (union_id, client_id);

CREATE TABLE consents (
    union_id TEXT NOT NULL REFERENCES users (union_id),
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    scopes TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (union_id, client_id)
);

CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    union_id TEXT NOT NULL REFERENCES users (union_id),
    corp_id TEXT,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    expires_at BIGINT NOT NULL,
    family_id TEXT NOT NULL,
    used_at BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES token_families (family_id),
    client_id TEXT NOT NULL,
    union_id TEXT NOT NULL,
    corp_id TEXT,
    scopes TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    union_id TEXT NOT NULL REFERENCES users (union_id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE documents (
    corp_id TEXT NOT NULL REFERENCES orgs (corp_id),
    doc_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    readers TEXT NOT NULL,
    PRIMARY KEY (corp_id, doc_id)
);

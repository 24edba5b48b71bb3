-- Device authorization (RFC 8628): both codes stored as SHA-256 hashes only.
CREATE TABLE device_authorizations (
    device_hash TEXT PRIMARY KEY,
    user_code_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    scopes TEXT NOT NULL,
    status TEXT NOT NULL,
    union_id TEXT REFERENCES users (union_id),
    corp_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval_secs BIGINT NOT NULL,
    last_polled_at BIGINT
);

CREATE INDEX device_authorizations_expiry ON device_authorizations (expires_at);

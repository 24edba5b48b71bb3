-- Third-party apps: suite tickets (only a sequence number; ticket values are derived from the
-- server key), where tickets are pushed, and what an authorization code was issued for.
CREATE TABLE suite_tickets (
    client_id TEXT PRIMARY KEY REFERENCES apps (client_id),
    seq BIGINT NOT NULL DEFAULT 0,
    issued_at BIGINT NOT NULL DEFAULT 0,
    callback_url TEXT
);

ALTER TABLE auth_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'user';

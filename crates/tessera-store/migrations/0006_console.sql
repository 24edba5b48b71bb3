-- The console: client secrets rotated out that stay valid until the end of their overlap.
CREATE TABLE previous_secrets (
    client_id TEXT NOT NULL REFERENCES apps (client_id),
    secret_hash TEXT NOT NULL,
    valid_until BIGINT NOT NULL
);
CREATE INDEX previous_secrets_app ON previous_secrets (client_id);
CREATE INDEX apps_owner ON apps (owner_corp_id);

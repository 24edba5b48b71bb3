-- Bounded growth: a revoked family counts later revocation attempts (a spent refresh token
-- or code presented again) instead of logging each; the purge scans expiry columns by index
-- and finds token families left without tokens or codes.
ALTER TABLE token_families ADD COLUMN reuse_attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX auth_codes_expiry ON auth_codes (expires_at);
CREATE INDEX auth_codes_family ON auth_codes (family_id);
CREATE INDEX previous_secrets_expiry ON previous_secrets (valid_until);

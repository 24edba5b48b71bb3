-- Permission lifecycle: grants revoked (by whom, when) are kept for explain and audit.
CREATE TABLE revoked_grants (
    client_id TEXT NOT NULL,
    corp_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    revoked_by TEXT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_grants_app ON revoked_grants (client_id, corp_id, scope, revoked_at);
CREATE INDEX permission_requests_status ON permission_requests (status);
CREATE INDEX audit_events_actor ON audit_events (actor, seq);

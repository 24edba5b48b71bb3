-- The shape of a suite's ticket pushes: 'dingtalk' (suite_ticket), 'feishu' (a store app's
-- app_ticket event) or 'feishu_encrypted' (the same in Feishu's encrypted envelope). The
-- verification token and encrypt key are derived from the server key, not stored.
ALTER TABLE suite_tickets ADD COLUMN event_format TEXT NOT NULL DEFAULT 'dingtalk';

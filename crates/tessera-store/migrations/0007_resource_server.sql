-- Apps marked as resource servers may introspect every app's tokens; other clients only
-- their own app's.
ALTER TABLE apps ADD COLUMN resource_server BOOLEAN NOT NULL DEFAULT FALSE;

-- OpenID Connect in the device flow: the nonce given at device authorization, echoed in the
-- ID token, and when the user approved at the verification page (the ID token's auth_time).
ALTER TABLE device_authorizations ADD COLUMN nonce TEXT;
ALTER TABLE device_authorizations ADD COLUMN auth_time BIGINT;

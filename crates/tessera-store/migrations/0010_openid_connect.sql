-- Signing keys of ID tokens, JWT access tokens, logout tokens and the gateway's assertion.
-- The private key is sealed under the server key; one generation per algorithm is unique,
-- so two nodes creating the same successor collide and one wins.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    activates_at BIGINT NOT NULL,
    sealed_private TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    UNIQUE (alg, generation)
);

-- OpenID Connect: the nonce of the authorization request and when the user signed in.
ALTER TABLE auth_codes ADD COLUMN nonce TEXT;
ALTER TABLE auth_codes ADD COLUMN auth_time BIGINT;

-- An app's OpenID Connect settings (apps without a row use the defaults). URIs as JSON arrays.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY REFERENCES apps (client_id),
    id_token_alg TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    access_token_format TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    backchannel_logout_uri TEXT,
    resources TEXT NOT NULL
);

-- A user's optional profile claims.
CREATE TABLE user_profiles (
    union_id TEXT PRIMARY KEY REFERENCES users (union_id),
    nickname TEXT,
    picture TEXT,
    email TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    phone_number TEXT,
    phone_number_verified BOOLEAN NOT NULL DEFAULT FALSE
);

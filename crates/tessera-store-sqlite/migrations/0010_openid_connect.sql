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

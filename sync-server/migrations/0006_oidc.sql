-- OIDC sign-in. An identity at an org's provider, (issuer, subject), belongs to one user once
-- linked (by the provider's verified email, or by an invitation).
CREATE TABLE oidc_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

-- A sign-in sent to the provider, by the SHA-256 of its `state`: the nonce and the PKCE verifier
-- the callback needs, and where the client that started it waits (its loopback redirect, its
-- own PKCE challenge and state). Spent once (`used_at`, a conditional update), within minutes.
CREATE TABLE oidc_logins (
    state_hash          TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id),
    nonce               TEXT NOT NULL,
    pkce_verifier       TEXT NOT NULL,
    client_redirect_uri TEXT NOT NULL,
    client_challenge    TEXT NOT NULL,
    client_state        TEXT,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL,
    used_at             TEXT
);

-- The one-time code a finished sign-in hands to the client's loopback redirect, by its SHA-256;
-- `POST /v1/auth/oidc/token` exchanges it, with the client's PKCE verifier, for a session.
CREATE TABLE oidc_handoffs (
    code_hash        TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    client_challenge TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    used_at          TEXT
);

-- Single-use tokens sent by email, by the SHA-256 of the token (the token itself is never
-- stored): password resets, and confirmations of a new email address (`new_email`). A newer
-- token of the same kind revokes the user's older ones; using one sets `used_at` with a
-- conditional update, so two servers cannot both accept it.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('password_reset', 'email_change')),
    user_id    TEXT NOT NULL REFERENCES users (id),
    new_email  TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, kind);

-- Ending every session of a user (password reset, password change) looks tokens up by user.
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- The sync server's schema. Portable SQL: it runs on SQLite today and is written so the
-- PostgreSQL backend can apply the same file. Timestamps are RFC 3339 UTC text with a fixed
-- width (so they compare as text); ids are UUIDv7 text; booleans are 0/1 integers.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- Bumped once per applied change; the pull cookie is a value of it.
    version    BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Access and refresh tokens, by the SHA-256 of the token (the token itself is never stored).
-- A family is one login: every refresh token issued by rotation shares it.
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    user_id    TEXT NOT NULL REFERENCES users (id),
    family_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX auth_tokens_family ON auth_tokens (family_id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    accepted_at TEXT,
    revoked_at  TEXT
);
CREATE INDEX invitations_org ON invitations (org_id);

-- The current state of every synced object; `version` is the org version of its last change.
CREATE TABLE objects (
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    rev         BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    body        TEXT,
    deleted     INTEGER NOT NULL DEFAULT 0,
    conflict_of TEXT,
    updated_by  TEXT NOT NULL REFERENCES users (id),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, id)
);
CREATE INDEX objects_feed ON objects (org_id, version);

-- Every revision's body, so a stale edit can be compared with the revision it was made on.
CREATE TABLE object_revisions (
    org_id  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    rev     BIGINT NOT NULL,
    body    TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, kind, id, rev)
);

-- The last mutation applied per client (push idempotency); a client id belongs to one user.
CREATE TABLE sync_clients (
    org_id           TEXT NOT NULL REFERENCES orgs (id),
    client_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id),
    last_mutation_id BIGINT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (org_id, client_id)
);

CREATE TABLE blobs (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    sha256     TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, sha256)
);

CREATE TABLE share_links (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    kind       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX share_links_org ON share_links (org_id);

CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    at            TEXT NOT NULL,
    org_id        TEXT,
    actor_user_id TEXT,
    action        TEXT NOT NULL,
    object_kind   TEXT,
    object_id     TEXT,
    client_addr   TEXT
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);

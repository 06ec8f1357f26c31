-- Resumable uploads (`POST /v1/orgs/{org}/uploads`). The bytes that arrived so far are chunk
-- objects in the blob store (`uploads/{id}/…`), one row each in `upload_chunks`; `received`
-- only grows through a conditional update, so two chunks sent at once cannot both land at one
-- offset. An upload belongs to its org and to the member who started it.
CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    sha256     TEXT NOT NULL,
    size       BIGINT NOT NULL,
    received   BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX uploads_org_sha ON uploads (org_id, sha256);
CREATE INDEX uploads_updated ON uploads (updated_at);

CREATE TABLE upload_chunks (
    upload_id  TEXT NOT NULL REFERENCES uploads (id),
    start      BIGINT NOT NULL,
    length     BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    PRIMARY KEY (upload_id, start)
);

-- Changes pulled from the sync server that could not be applied yet: a dataset whose file
-- could not be downloaded, failed its SHA-256 check, or did not import. Each is retried at the
-- next pull; a newer change of the same object replaces it. The local store is untouched until
-- one applies (an import is all or nothing).
CREATE TABLE sync_deferred (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    rev           INTEGER NOT NULL CHECK (rev >= 0),
    body          TEXT,
    deleted       INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    conflict_of   TEXT,
    -- What went wrong, in words.
    error         TEXT NOT NULL,
    failed_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind, remote_id)
);

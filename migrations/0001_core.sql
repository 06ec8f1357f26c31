-- Workspaces, original files, datasets and their versions.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Original files, content-addressed: the same bytes are stored once.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size_bytes  INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE datasets (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('subscriptions', 'transactions', 'customers', 'orders', 'purchases')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (workspace_id, kind, name)
);

-- One row per import; the canonical table is tables/<id>.parquet.
CREATE TABLE dataset_versions (
    id             TEXT PRIMARY KEY,
    dataset_id     TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    version        INTEGER NOT NULL CHECK (version > 0),
    source_name    TEXT NOT NULL,
    source_sha256  TEXT NOT NULL REFERENCES blobs(sha256),
    source_format  TEXT NOT NULL,
    header_line    INTEGER NOT NULL,
    mapping        TEXT NOT NULL,
    columns        TEXT NOT NULL,
    row_count      INTEGER NOT NULL,
    skipped_count  INTEGER NOT NULL,
    warnings       TEXT NOT NULL DEFAULT '[]',
    imported_at    TEXT NOT NULL,
    UNIQUE (dataset_id, version)
);

CREATE INDEX dataset_versions_by_blob ON dataset_versions (source_sha256);

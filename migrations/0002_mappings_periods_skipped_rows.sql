-- Saved column mappings, reporting periods, and the rows an import skipped.

CREATE TABLE column_mappings (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    header_signature  TEXT NOT NULL,
    fields            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE INDEX column_mappings_by_header ON column_mappings (workspace_id, kind, header_signature);

-- Named reporting cycles (C1, C2 … or 2025-Q1) that dataset versions can be pinned to.
CREATE TABLE reporting_periods (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    starts_on     TEXT,
    ends_on       TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (workspace_id, name),
    CHECK (starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on)
);

ALTER TABLE dataset_versions ADD COLUMN period_id TEXT REFERENCES reporting_periods(id) ON DELETE SET NULL;

CREATE TABLE skipped_rows (
    version_id   TEXT NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    column_name  TEXT,
    value        TEXT,
    expected     TEXT NOT NULL,
    PRIMARY KEY (version_id, seq)
);

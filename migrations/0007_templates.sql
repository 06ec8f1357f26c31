-- Dashboard templates the team saves (kind 'template'): named documents like dashboards,
-- synced the same way. SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt with its rows.

CREATE TABLE documents_new (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('dashboard', 'scenario', 'template')),
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (workspace_id, kind, name)
);

INSERT INTO documents_new (id, workspace_id, kind, name, body, created_at, updated_at)
    SELECT id, workspace_id, kind, name, body, created_at, updated_at FROM documents;

DROP TABLE documents;

ALTER TABLE documents_new RENAME TO documents;

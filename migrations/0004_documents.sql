-- Saved dashboards and scenarios: named JSON documents of a workspace. They sync like
-- mappings (kind 'dashboard' or 'scenario'), so every edit is also queued in sync_mutations.

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('dashboard', 'scenario')),
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (workspace_id, kind, name)
);

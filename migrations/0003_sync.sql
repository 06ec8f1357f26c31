-- Sync with a RevLens sync server: the account of each workspace, the revision of every
-- synced object, and the ordered log of local edits not yet acknowledged by the server.
-- Tokens never live here: `keychain_account` names the OS keychain entry that holds them.

CREATE TABLE sync_accounts (
    workspace_id      TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    server_url        TEXT NOT NULL,
    email             TEXT NOT NULL,
    org_id            TEXT NOT NULL,
    org_name          TEXT NOT NULL,
    -- A UUID made once per workspace and server org; mutation ids count per client id.
    client_id         TEXT NOT NULL,
    -- The keychain entry (service "revlens") with the token pair; NULL when signed out.
    keychain_account  TEXT,
    -- The org version the last pull reached.
    cookie            INTEGER NOT NULL DEFAULT 0 CHECK (cookie >= 0),
    -- The last mutation id the server acknowledged, and the next one to hand out.
    last_mutation_id  INTEGER NOT NULL DEFAULT 0 CHECK (last_mutation_id >= 0),
    next_mutation_id  INTEGER NOT NULL DEFAULT 1 CHECK (next_mutation_id > 0),
    signed_in_at      TEXT NOT NULL,
    last_push_at      TEXT,
    last_pull_at      TEXT
);

-- The server revision of each synced local object (base_rev of the next edit). `remote_id`
-- is the object's id on the server: the local id, or the server-made id of a conflicted copy.
CREATE TABLE sync_objects (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    local_id      TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    rev           INTEGER NOT NULL CHECK (rev >= 0),
    PRIMARY KEY (workspace_id, kind, local_id),
    UNIQUE (workspace_id, kind, remote_id)
);

-- Local edits in the order they were made. `mutation_id` is handed out when the edit is
-- first sent (from sync_accounts.next_mutation_id), so a retried push repeats the same id.
CREATE TABLE sync_mutations (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    mutation_id   INTEGER,
    kind          TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    base_rev      INTEGER NOT NULL CHECK (base_rev >= 0),
    body          TEXT,
    deleted       INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at    TEXT NOT NULL,
    CHECK ((body IS NULL) = (deleted = 1)),
    UNIQUE (workspace_id, mutation_id)
);

CREATE INDEX sync_mutations_by_object ON sync_mutations (workspace_id, kind, object_id);

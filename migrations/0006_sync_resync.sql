-- Edits whose outcome the client never heard: a push the server applied while its answer was
-- lost (the process or the connection died), then acknowledged by a retry ("already applied")
-- or by a pull. The server may have kept such an edit as a conflicted copy while the store
-- still shows it as the object, so the next pull reads the whole feed again from version 0.
-- A counter, bumped at each such acknowledgement, so a pull clears only what it covered.
ALTER TABLE sync_accounts ADD COLUMN resync INTEGER NOT NULL DEFAULT 0 CHECK (resync >= 0);

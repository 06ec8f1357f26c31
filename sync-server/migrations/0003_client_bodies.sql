-- For a merged revision, the body the client sent (the merged body is in `body`): the client's
-- later mutations build on what it sent, so a stale one is merged against this.
ALTER TABLE object_revisions ADD COLUMN client_body TEXT;

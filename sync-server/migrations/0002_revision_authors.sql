-- Which client wrote each revision: a client's later mutation is made on top of its own earlier
-- ones, so revisions by the same client never make its base_rev stale.
ALTER TABLE object_revisions ADD COLUMN client_id TEXT;

-- Requests counted per key in fixed windows (account mails per account and per address), in
-- the database so that every server instance on it counts against one quota.
CREATE TABLE request_limits (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    count        BIGINT NOT NULL
);

CREATE INDEX request_limits_window ON request_limits (window_start);

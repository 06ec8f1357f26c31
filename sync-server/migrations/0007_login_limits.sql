-- Failed sign-ins per account and per client address, and the back-off they earned. In the
-- database, so that every server instance on it counts and enforces one limit.
CREATE TABLE login_limits (
    key          TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until TEXT,
    updated_at   TEXT NOT NULL
);

CREATE INDEX login_limits_idle ON login_limits (updated_at);

-- Secrets the server makes once and keeps, shared by every instance on
-- the same database: the key each survey's own secret is derived from.
CREATE TABLE IF NOT EXISTS server_secrets (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);

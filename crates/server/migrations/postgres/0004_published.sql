-- The log is its own outbox: every event a tenant's log holds is to be
-- published to the broker, in order. This row says through which global
-- position a tenant's events have been published (and acknowledged), so a
-- server that stops between storing and publishing publishes the rest when
-- it starts again.
CREATE TABLE IF NOT EXISTS published (
    tenant TEXT PRIMARY KEY,
    through BIGINT NOT NULL
);

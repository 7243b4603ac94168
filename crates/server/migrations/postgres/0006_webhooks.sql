-- Outbound webhooks (ADR 35): each hook's URL, the event types it wants
-- (empty: all), its secret (it signs every delivery; the hook's owner saw
-- it once), and through which global position it has been delivered.
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    removed_at TIMESTAMPTZ,
    delivered_through BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhooks_by_tenant ON webhooks (tenant);
-- Every attempt to deliver an event to a hook, and how it went.
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    global_position BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_hook ON deliveries (webhook_id, at);

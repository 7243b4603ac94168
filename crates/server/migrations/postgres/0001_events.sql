-- One row per event, in each tenant's gap-free global order.
CREATE TABLE IF NOT EXISTS events (
    tenant TEXT NOT NULL,
    global_position BIGINT NOT NULL,
    event_id UUID NOT NULL,
    stream_id UUID NOT NULL,
    stream_version BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, global_position),
    UNIQUE (tenant, event_id),
    UNIQUE (tenant, stream_id, stream_version)
);

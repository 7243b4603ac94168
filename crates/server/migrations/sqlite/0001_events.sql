-- One row per event. Ids are their 16 bytes, so the unique indexes stay small.
CREATE TABLE IF NOT EXISTS events (
    tenant TEXT NOT NULL,
    global_position INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    stream_id BLOB NOT NULL,
    stream_version INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, global_position),
    UNIQUE (tenant, event_id),
    UNIQUE (tenant, stream_id, stream_version)
);

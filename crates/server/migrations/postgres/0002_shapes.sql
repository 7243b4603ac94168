-- Each event's binary shape, tagged with its schema, beside its body: binary
-- pull pages are written from it. Rows stored before it have none, and are
-- encoded from their bodies when pulled.
ALTER TABLE events ADD COLUMN IF NOT EXISTS shape BYTEA;

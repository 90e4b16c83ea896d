-- A room is the video conference of one incident.
--
-- Times throughout the schema are RFC 3339 UTC text with exactly six
-- fractional digits ("2006-01-02T15:04:05.000000Z"): fixed width, so text
-- order is time order, and PostgreSQL reads it as timestamptz.
CREATE TABLE rooms (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at  TEXT
);

CREATE INDEX rooms_open ON rooms (created_at) WHERE closed_at IS NULL;

-- A session is one participant's presence in a room, from join to leave: the
-- record of who was in the incident room, from where, and when.
CREATE TABLE sessions (
    id             TEXT NOT NULL PRIMARY KEY,
    room_id        TEXT NOT NULL REFERENCES rooms (id),
    participant_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    remote_addr    TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    joined_at      TEXT NOT NULL,
    left_at        TEXT,
    leave_reason   TEXT NOT NULL DEFAULT ''
);

CREATE INDEX sessions_room ON sessions (room_id, joined_at);
CREATE INDEX sessions_open ON sessions (joined_at) WHERE left_at IS NULL;

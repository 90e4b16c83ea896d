-- The chat of every room, with or without an incident, in the order the
-- server received it: a browser that joins late or comes back after a cut
-- reads it from here. An incident room's messages are on its timeline too.
CREATE TABLE chat_messages (
    room_id   TEXT NOT NULL REFERENCES rooms (id),
    seq       INTEGER NOT NULL,
    id        TEXT NOT NULL UNIQUE,
    at        TEXT NOT NULL,
    from_id   TEXT NOT NULL,
    from_name TEXT NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
);

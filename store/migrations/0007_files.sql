-- Files shared in rooms. The bytes live in <data>/files/<sha256>, named by
-- their hash, so one content shared twice is stored once; each sharing is
-- a row. A withdrawn file is hidden from the room but its bytes are kept
-- for the evidence bundle until retention purges them.
CREATE TABLE files (
    id               TEXT NOT NULL PRIMARY KEY,
    room_id          TEXT NOT NULL REFERENCES rooms (id),
    incident_id      TEXT REFERENCES incidents (id),
    sha256           TEXT NOT NULL,
    name             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             INTEGER NOT NULL,
    uploader_id      TEXT NOT NULL,
    uploader_name    TEXT NOT NULL,
    uploaded_at      TEXT NOT NULL,
    withdrawn_at     TEXT,
    withdrawn_by     TEXT
);

CREATE INDEX files_room ON files (room_id, uploaded_at);
CREATE INDEX files_sha256 ON files (sha256);

-- Who did what with a file or a camera, in every room: uploads, views,
-- downloads, withdrawals, and the start and end of watching a camera. An
-- incident room's accesses are on the incident's timeline as well.
CREATE TABLE access_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id     TEXT NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL
);

CREATE INDEX access_log_room ON access_log (room_id, id);

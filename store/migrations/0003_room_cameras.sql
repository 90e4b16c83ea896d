-- The cameras a room shows, by their configured id, in display order.
CREATE TABLE room_cameras (
    room_id   TEXT NOT NULL REFERENCES rooms (id),
    camera_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (room_id, camera_id)
);

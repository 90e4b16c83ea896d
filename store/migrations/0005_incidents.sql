-- An incident: an alarm on a site, its room, and who was asked to join.
CREATE TABLE incidents (
    id         TEXT NOT NULL PRIMARY KEY,
    site_id    TEXT NOT NULL,
    room_id    TEXT NOT NULL REFERENCES rooms (id),
    kind       TEXT NOT NULL,
    source     TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    closed_at  TEXT
);

-- At most one open incident per site: a second alarm joins it.
CREATE UNIQUE INDEX incidents_open_site ON incidents (site_id) WHERE closed_at IS NULL;

-- Every alarm received, once: a retransmitted DC-09 frame or a retried
-- webhook has the same dedupe key and finds its first answer here. Keys may
-- come back much later (a panel's sequence number wraps), so a key only
-- matches within a window, and is not unique.
CREATE TABLE alarms (
    id          TEXT NOT NULL PRIMARY KEY,
    dedupe_key  TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    site_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    code        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    raw         TEXT NOT NULL
);

CREATE INDEX alarms_dedupe ON alarms (dedupe_key, received_at);

-- The incident's timeline, append-only: each entry carries the hash of the
-- previous one, so a removed or altered entry breaks the chain.
CREATE TABLE timeline (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

-- One personal invitation per contact and incident.
CREATE TABLE invitations (
    id          TEXT NOT NULL PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    contact_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    lang        TEXT NOT NULL,
    list        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL,
    opened_at   TEXT,
    joined_at   TEXT,
    revoked_at  TEXT
);

CREATE UNIQUE INDEX invitations_contact ON invitations (incident_id, contact_id);

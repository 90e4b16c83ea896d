-- An incident on legal hold is never purged by retention, whatever its
-- age: a judicial procedure needs its recordings and files (CSI L252-5).
-- Putting on hold and releasing are on the incident's timeline.
CREATE TABLE legal_holds (
    incident_id TEXT NOT NULL PRIMARY KEY REFERENCES incidents (id),
    reason      TEXT NOT NULL,
    held_by     TEXT NOT NULL,
    held_at     TEXT NOT NULL
);

-- Incidents whose recordings, files and chat retention has destroyed. The
-- timeline, the invitations and the sessions are kept: they hold no images
-- and are the record of who saw what.
CREATE TABLE purges (
    incident_id TEXT NOT NULL PRIMARY KEY REFERENCES incidents (id),
    purged_at   TEXT NOT NULL,
    purged_by   TEXT NOT NULL
);

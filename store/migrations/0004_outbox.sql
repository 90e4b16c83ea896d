-- The e-mail outbox: one row per invitation e-mail, from the moment it is
-- queued until it is sent or given up. The message is stored rendered, so a
-- retry, even after a restart, sends exactly what was first queued.
--
-- state is 'queued' (never tried), 'retrying' (tried, will try again),
-- 'sent' or 'failed' (final). next_attempt_at is set while another attempt
-- is due and NULL once the state is final.
CREATE TABLE outbox (
    id              TEXT NOT NULL PRIMARY KEY,
    incident_id     TEXT NOT NULL,
    contact_id      TEXT NOT NULL,
    address         TEXT NOT NULL,
    name            TEXT NOT NULL,
    lang            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'retrying', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_incident ON outbox (incident_id, created_at);

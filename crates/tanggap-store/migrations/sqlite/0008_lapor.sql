-- SP4N-LAPOR! synchronisation.

-- Each LAPOR! report known here, keyed on its tracking ID. The primary key
-- and the unique complaint id keep one complaint per report, whichever
-- path (sync or spreadsheet import) brought it in first.
CREATE TABLE lapor_reports (
    tracking_id TEXT PRIMARY KEY,
    complaint_id BIGINT NOT NULL UNIQUE REFERENCES complaints (id),
    -- Status code and version of the report as LAPOR! last sent it.
    remote_status TEXT NOT NULL,
    remote_version BIGINT NOT NULL,
    remote_updated_at BIGINT NOT NULL,
    synced_at BIGINT NOT NULL
);

-- Positions of the synchronisation: the pull cursor that LAPOR! returned,
-- and the last complaint event scanned for changes to push.
CREATE TABLE lapor_cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Changes to push to LAPOR!, one per complaint event (transactional
-- outbox); an item stays pending until LAPOR! acknowledges it.
CREATE TABLE lapor_outbox (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL UNIQUE REFERENCES complaint_events (id),
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    tracking_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- pending, sent, or failed (rejected by LAPOR! as invalid).
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX lapor_outbox_pending ON lapor_outbox (status, id);

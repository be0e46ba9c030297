-- Outbox of notifications to reporters. A row is written once per
-- complaint, event and channel (idempotency_key) and sent by the
-- background workers; status is pending, sending, sent, failed or skipped.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    event_id BIGINT,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- E-mail address or phone number; erased with the reporter's data.
    recipient TEXT,
    language TEXT NOT NULL,
    -- Message arguments as JSON. The reporter's secret in the received
    -- notice is removed once the row is sent, skipped or failed.
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_complaint ON notifications (complaint_id);

-- The last complaint event the outbox scan has turned into notifications.
-- Events committed before this migration are never notified.
CREATE TABLE notification_cursor (
    name TEXT PRIMARY KEY,
    last_event_id BIGINT NOT NULL
);
INSERT INTO notification_cursor (name, last_event_id)
    SELECT 'events', COALESCE(MAX(id), 0) FROM complaint_events;

-- Automatic-close warnings already queued, per complaint and close instant.
CREATE TABLE notification_closing (
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    auto_close_at BIGINT NOT NULL,
    PRIMARY KEY (complaint_id, auto_close_at)
);

-- Language the reporter chose at intake; Indonesian when absent.
CREATE TABLE reporter_languages (
    complaint_id BIGINT PRIMARY KEY REFERENCES complaints (id),
    language TEXT NOT NULL
);

-- Complaints whose reporter data was erased at the end of the retention period.
CREATE TABLE personal_data_erasures (
    complaint_id BIGINT PRIMARY KEY REFERENCES complaints (id),
    erased_at BIGINT NOT NULL
);

-- Initial schema, SQLite. Instants are BIGINT microseconds since the Unix
-- epoch (UTC); lists and structured values are JSON text.

CREATE TABLE agencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT,
    kind TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT
);

-- A row with an empty subcategory is the category itself.
CREATE TABLE categories (
    category TEXT NOT NULL,
    subcategory TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1,
    PRIMARY KEY (category, subcategory)
);

CREATE TABLE holidays (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    active BOOLEAN NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE tracking_counters (
    year INTEGER PRIMARY KEY,
    last_value BIGINT NOT NULL
);

CREATE TABLE complaints (
    id INTEGER PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    channel TEXT NOT NULL,
    channel_reference TEXT,
    intake_procedure TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    registered_at BIGINT NOT NULL,
    complaint_type TEXT NOT NULL,
    supervision BOOLEAN NOT NULL,
    title TEXT,
    body TEXT NOT NULL,
    category TEXT,
    subcategory TEXT,
    tags TEXT NOT NULL,
    location_text TEXT,
    kelurahan_code TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    reporter_name TEXT,
    reporter_phone TEXT,
    reporter_email TEXT,
    reporter_nik TEXT,
    reporter_address TEXT,
    anonymous BOOLEAN NOT NULL,
    confidential BOOLEAN NOT NULL,
    attachments TEXT NOT NULL,
    lead_agency TEXT,
    supporting_agencies TEXT NOT NULL,
    registered_by_agency TEXT,
    status TEXT NOT NULL,
    archive_reason TEXT,
    duplicate_of BIGINT,
    forwarded_to TEXT,
    related TEXT NOT NULL,
    verification_due_at BIGINT,
    followup_due_at BIGINT,
    resolution_due_at BIGINT,
    due_at BIGINT,
    hold_expires_at BIGINT,
    auto_close_at BIGINT,
    verification_paused_days INTEGER NOT NULL,
    verified_at BIGINT,
    held_at BIGINT,
    dispatched_at BIGINT,
    first_followup_at BIGINT,
    responded_at BIGINT,
    closed_at BIGINT,
    reopen_count INTEGER NOT NULL,
    satisfaction TEXT,
    reporter_secret_hash TEXT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX complaints_status_due ON complaints (status, due_at);
CREATE INDEX complaints_due ON complaints (due_at);
CREATE INDEX complaints_received ON complaints (received_at);
CREATE INDEX complaints_hold_expiry ON complaints (hold_expires_at) WHERE hold_expires_at IS NOT NULL;
CREATE INDEX complaints_auto_close ON complaints (auto_close_at) WHERE auto_close_at IS NOT NULL;
CREATE INDEX complaints_registered_by ON complaints (registered_by_agency) WHERE registered_by_agency IS NOT NULL;
CREATE INDEX complaints_channel_reference ON complaints (channel, channel_reference);

-- Lead and supporting agencies of each complaint, for agency-scoped queries.
CREATE TABLE complaint_agencies (
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    agency_code TEXT NOT NULL,
    is_lead BOOLEAN NOT NULL,
    PRIMARY KEY (complaint_id, agency_code)
);
CREATE INDEX complaint_agencies_agency ON complaint_agencies (agency_code, complaint_id);

-- Append-only history of each complaint.
CREATE TABLE complaint_events (
    id INTEGER PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    sop_activity TEXT,
    visibility TEXT NOT NULL,
    body TEXT,
    data TEXT NOT NULL
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, id);

CREATE TABLE deadline_alerts (
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    deadline TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    overdue BOOLEAN NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (complaint_id, deadline, due_at, overdue)
);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);

-- Append-only, hash-chained audit log.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_at);

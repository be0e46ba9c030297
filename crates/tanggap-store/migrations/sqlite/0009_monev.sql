-- SOP versions edited in the application, and the monitoring and
-- evaluation runs of SOP 05 with their tasks, documents, action items,
-- photos and archive bundles. Version 1 of each SOP is the file shipped in
-- `sop/` and is not stored here.

CREATE TABLE sop_versions (
    number TEXT NOT NULL,
    version BIGINT NOT NULL,
    effective_on TEXT NOT NULL,
    -- The version applies to work started at or after this instant: the
    -- start of `effective_on` in local time, or the save time if later.
    effective_from BIGINT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (number, version)
);

CREATE TABLE monev_runs (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    sop_version BIGINT NOT NULL,
    -- What the run started from, such as `figures` or an approved report version.
    basis TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    started_by BIGINT REFERENCES users (id),
    started_at BIGINT NOT NULL,
    archived_at BIGINT,
    UNIQUE (year, quarter)
);

CREATE TABLE monev_tasks (
    run_id BIGINT NOT NULL REFERENCES monev_runs (id),
    activity TEXT NOT NULL,
    position INTEGER NOT NULL,
    performer TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT,
    started_by BIGINT REFERENCES users (id),
    completed_at BIGINT,
    completed_by BIGINT REFERENCES users (id),
    PRIMARY KEY (run_id, activity)
);

CREATE TABLE monev_documents (
    run_id BIGINT NOT NULL REFERENCES monev_runs (id),
    activity TEXT NOT NULL,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    approved_sha256 TEXT,
    approved_by BIGINT REFERENCES users (id),
    approved_at BIGINT,
    PRIMARY KEY (run_id, activity)
);

CREATE TABLE monev_action_items (
    id INTEGER PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES monev_runs (id),
    activity TEXT NOT NULL,
    description TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_at BIGINT,
    done_by BIGINT REFERENCES users (id)
);
CREATE INDEX monev_action_items_run ON monev_action_items (run_id, id);

CREATE TABLE monev_photos (
    id INTEGER PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES monev_runs (id),
    visit INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX monev_photos_run ON monev_photos (run_id, id);

CREATE TABLE monev_archives (
    run_id BIGINT PRIMARY KEY REFERENCES monev_runs (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);

-- For the compliance figures: events that fulfil an SOP activity, by time.
CREATE INDEX complaint_events_activity_at ON complaint_events (at) WHERE sop_activity IS NOT NULL;

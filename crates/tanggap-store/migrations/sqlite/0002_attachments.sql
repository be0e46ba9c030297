-- Files attached to complaints. The content is stored outside the database,
-- named by its SHA-256; images also get a copy re-encoded without metadata.
-- The `attachments` JSON column of `complaints` is no longer used.

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    has_sanitised_copy BOOLEAN NOT NULL,
    from_reporter BOOLEAN NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);

CREATE INDEX attachments_complaint ON attachments (complaint_id, id);

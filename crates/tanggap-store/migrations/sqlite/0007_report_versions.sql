-- Versions of the quarterly report document (SOP 04/humpro). A version is
-- immutable: its frozen figures, narrative, signers and files never change;
-- only its workflow state and the records of each step are updated.

CREATE TABLE report_versions (
    id INTEGER PRIMARY KEY,
    year BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    lang TEXT NOT NULL,
    -- JSON: the quarter's figures and the overdue list when generated.
    figures TEXT NOT NULL,
    -- JSON: summary, findings, recommendations and follow-up plan.
    narrative TEXT NOT NULL,
    -- JSON: names and NIP of the preparer, head of section and Sekda.
    signers TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    submitted_by TEXT,
    submitted_at BIGINT,
    reviewed_by TEXT,
    reviewed_at BIGINT,
    returned_note TEXT,
    returned_by TEXT,
    returned_at BIGINT,
    approved_by TEXT,
    approved_at BIGINT,
    approved_sha256 TEXT,
    published_by TEXT,
    published_at BIGINT,
    UNIQUE (year, quarter, number)
);

CREATE INDEX report_versions_state ON report_versions (state, year, quarter);

-- The rendered files of a version (PDF, DOCX, XLSX), kept in the database
-- so that every node serves the same bytes the approval hashed.
CREATE TABLE report_files (
    version_id BIGINT NOT NULL REFERENCES report_versions (id),
    format TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (version_id, format)
);

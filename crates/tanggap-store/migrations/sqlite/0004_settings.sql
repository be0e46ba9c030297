-- Settings that administrators change in the application, as JSON values
-- keyed by name (for example the time standards).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

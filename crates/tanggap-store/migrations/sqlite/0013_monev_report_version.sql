-- A monitoring and evaluation run starts from the quarter's approved
-- report version: the run records which version (its id and the SHA-256
-- of the PDF the Sekda approved). Runs started before this migration
-- have neither.

ALTER TABLE monev_runs ADD COLUMN report_version_id BIGINT REFERENCES report_versions (id);
ALTER TABLE monev_runs ADD COLUMN report_sha256 TEXT;

-- Text search over complaint titles and bodies. Trigram indexes let
-- PostgreSQL answer `ILIKE '%text%'` from the index instead of reading every
-- complaint. pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension, so the database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX complaints_title_trgm ON complaints USING gin (title gin_trgm_ops);
CREATE INDEX complaints_body_trgm ON complaints USING gin (body gin_trgm_ops);

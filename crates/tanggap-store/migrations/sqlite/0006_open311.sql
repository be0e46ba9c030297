-- API keys of Open311 GeoReport v2 clients. Only the SHA-256 of a key is
-- stored; the key itself is shown once when the admin issues it.
CREATE TABLE open311_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- The public listing (transparency page, Open311) reads non-confidential
-- complaints newest first.
CREATE INDEX complaints_public_received ON complaints (confidential, received_at);

-- pg_trgm's GIN indexes collect new entries in a pending list (4 MB by
-- default) that every search reads in full until VACUUM merges it. Right
-- after the benchmark generated 10,000 complaints, that list added 15 to
-- 30 ms to each text search, which otherwise took 0.1 ms. A 64 kB list
-- keeps that cost small; inserts merge it more often instead.

ALTER INDEX complaints_title_trgm SET (gin_pending_list_limit = 64);
ALTER INDEX complaints_body_trgm SET (gin_pending_list_limit = 64);

SELECT gin_clean_pending_list('complaints_title_trgm'::regclass);
SELECT gin_clean_pending_list('complaints_body_trgm'::regclass);

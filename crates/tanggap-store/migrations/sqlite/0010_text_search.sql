-- Text search over complaint titles and bodies. A trigram index answers
-- substring queries (the same matches as LIKE '%text%', case-insensitive,
-- diacritics removed) without reading every complaint. The index keeps no
-- copy of the text: it reads it from `complaints` (an external-content
-- table), and the triggers below keep it in step.
CREATE VIRTUAL TABLE complaint_search USING fts5(
    title,
    body,
    content = 'complaints',
    content_rowid = 'id',
    tokenize = 'trigram case_sensitive 0 remove_diacritics 1'
);

INSERT INTO complaint_search (complaint_search) VALUES ('rebuild');

CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaints BEGIN
    INSERT INTO complaint_search (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaints BEGIN
    INSERT INTO complaint_search (complaint_search, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
END;

CREATE TRIGGER complaint_search_update AFTER UPDATE OF title, body ON complaints BEGIN
    INSERT INTO complaint_search (complaint_search, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO complaint_search (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

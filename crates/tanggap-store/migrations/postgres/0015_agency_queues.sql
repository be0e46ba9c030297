-- An agency's queues (its complaints in some statuses, or overdue) were
-- counted by reading every complaint the agency ever handled and looking
-- up each one's status, so the liaison admin's home page slowed down as
-- the history grew. Each agency row now carries its complaint's status and
-- current deadline, written with the row on every change of the complaint,
-- so a queue is one range of the index below.

ALTER TABLE complaint_agencies ADD COLUMN status TEXT;
ALTER TABLE complaint_agencies ADD COLUMN due_at BIGINT;

UPDATE complaint_agencies ca
SET status = c.status, due_at = c.due_at
FROM complaints c
WHERE c.id = ca.complaint_id;

CREATE INDEX complaint_agencies_queue ON complaint_agencies (agency_code, status, due_at);

-- The same for complaints an agency recorded without handling them.
DROP INDEX complaints_registered_by;
CREATE INDEX complaints_registered_by ON complaints (registered_by_agency, status, due_at)
    WHERE registered_by_agency IS NOT NULL;

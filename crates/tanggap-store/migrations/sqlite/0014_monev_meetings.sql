-- A meeting activity of a monitoring and evaluation run may hold the
-- minutes of several meetings, so each action item records which set of
-- minutes decided it: the index of the set within the activity's
-- document, 0 for the first. Items stored before this migration belong
-- to the only set their activity had.

ALTER TABLE monev_action_items ADD COLUMN meeting BIGINT NOT NULL DEFAULT 0;

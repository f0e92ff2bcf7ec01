-- The overdue and due-soon lists of the reports read the steps still owed on a day: those not done yet
-- (done_on IS NULL) and those done after it. Both are few against all the steps ever owed.
CREATE INDEX figure_facts_done ON figure_facts (kind, done_on);

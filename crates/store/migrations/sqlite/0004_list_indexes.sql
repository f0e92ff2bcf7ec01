-- Each order a list can be read in has an index that gives exactly that order (ties broken by id), within
-- a status and overall, so that a page costs a page and never a sort of every matter in scope.
DROP INDEX matters_received;
CREATE INDEX matters_received_id ON matters (received_on, id);
CREATE INDEX matters_status_received_id ON matters (status, received_on, id);
CREATE INDEX matters_next_due_id ON matters (next_due, id);
CREATE INDEX matters_changed_id ON matters (changed_seq, id);

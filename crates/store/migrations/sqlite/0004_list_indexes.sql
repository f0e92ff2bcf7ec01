-- The orders lists are read in, within a status and overall, so that a page of a busy status does not
-- sort every matter in it.
CREATE INDEX matters_status_received ON matters (status, received_on);
CREATE INDEX matters_next_due ON matters (next_due);
CREATE INDEX matters_changed ON matters (changed_seq);

-- Processes that follow the registered contacts (near-duplicate and repeat lookup) read them in log order
-- from where they stopped.
CREATE INDEX contacts_seq ON contacts (seq);

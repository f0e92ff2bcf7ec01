-- The append-only event log and the projections rebuilt from it. Projections hold only what queries
-- filter and list on; a matter's full state is the fold of its events (`stream`). SQLite dialect.

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    at_ms      INTEGER NOT NULL,
    actor_user TEXT    NOT NULL,
    actor_unit TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    stream     TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX events_stream ON events (stream, seq);

-- Accidents are refused here; deliberate tampering is caught by the hash chain.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- One row: the end of the chain. Every write locks it first, which serialises writers.
CREATE TABLE chain_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     INTEGER NOT NULL,
    hash    TEXT    NOT NULL,
    org_seq INTEGER NOT NULL
);
INSERT INTO chain_head (id, seq, hash, org_seq)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

CREATE TABLE matters (
    id          TEXT PRIMARY KEY,
    status      TEXT    NOT NULL,
    bureau      TEXT    NOT NULL,
    handler     TEXT,
    purpose     TEXT    NOT NULL,
    domain      TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    received_on TEXT    NOT NULL,
    next_due    TEXT,
    opened_ms   INTEGER NOT NULL,
    changed_seq INTEGER NOT NULL,
    summary     TEXT    NOT NULL
);
CREATE INDEX matters_status_due ON matters (status, next_due);

-- The full contact is the payload of its contact_registered event (`seq`).
CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    matter_id     TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    relation      TEXT    NOT NULL,
    registered_by TEXT    NOT NULL,
    received_ms   INTEGER NOT NULL,
    person_count  INTEGER NOT NULL,
    seq           INTEGER NOT NULL
);
CREATE INDEX contacts_matter ON contacts (matter_id);

CREATE TABLE units (
    id     TEXT PRIMARY KEY,
    parent TEXT,
    name   TEXT    NOT NULL,
    kind   TEXT    NOT NULL,
    region TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    data   TEXT    NOT NULL
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT    NOT NULL,
    seq  INTEGER NOT NULL
);

CREATE TABLE users (
    id     TEXT PRIMARY KEY,
    unit   TEXT    NOT NULL,
    name   TEXT    NOT NULL,
    roles  TEXT    NOT NULL,
    active INTEGER NOT NULL,
    seq    INTEGER NOT NULL
);

-- Not a projection: password hashes stay out of the event log (which only records that a password was
-- set), so that a replaced hash is really gone. Rebuilding the projections leaves this table alone.
CREATE TABLE credentials (
    user_id     TEXT PRIMARY KEY,
    hash        TEXT    NOT NULL,
    must_change INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);

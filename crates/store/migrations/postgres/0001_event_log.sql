-- The append-only event log and the projections rebuilt from it. Projections hold only what queries
-- filter and list on; a matter's full state is the fold of its events (`stream`). PostgreSQL dialect.

CREATE TABLE events (
    seq        BIGINT PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
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
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'events are append-only'; END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- One row: the end of the chain. Every write locks it first, which serialises writers.
CREATE TABLE chain_head (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    seq     BIGINT NOT NULL,
    hash    TEXT    NOT NULL,
    org_seq BIGINT NOT NULL
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
    opened_ms   BIGINT NOT NULL,
    changed_seq BIGINT NOT NULL,
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
    received_ms   BIGINT NOT NULL,
    person_count  BIGINT NOT NULL,
    seq           BIGINT NOT NULL
);
CREATE INDEX contacts_matter ON contacts (matter_id);

CREATE TABLE units (
    id     TEXT PRIMARY KEY,
    parent TEXT,
    name   TEXT    NOT NULL,
    kind   TEXT    NOT NULL,
    region TEXT    NOT NULL,
    seq    BIGINT NOT NULL,
    data   TEXT    NOT NULL
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT    NOT NULL,
    seq  BIGINT NOT NULL
);

CREATE TABLE users (
    id     TEXT PRIMARY KEY,
    unit   TEXT    NOT NULL,
    name   TEXT    NOT NULL,
    roles  TEXT    NOT NULL,
    active BIGINT NOT NULL,
    seq    BIGINT NOT NULL
);

-- Not a projection: password hashes stay out of the event log (which only records that a password was
-- set), so that a replaced hash is really gone. Rebuilding the projections leaves this table alone.
CREATE TABLE credentials (
    user_id     TEXT PRIMARY KEY,
    hash        TEXT    NOT NULL,
    must_change BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);

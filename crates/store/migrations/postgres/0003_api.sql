-- What the API lists and filters on, who may see which matter, the audit trail and API tokens.

-- More projected columns: the projections are rebuilt from the log when `projection_version` is behind
-- the code (see `Store::open`), so existing rows get their values then.
ALTER TABLE matters ADD COLUMN channel TEXT NOT NULL DEFAULT '';
-- Flag codes separated and surrounded by spaces (" collective repeat "), so that `LIKE '% repeat %'` filters.
ALTER TABLE matters ADD COLUMN flags TEXT NOT NULL DEFAULT ' ';
ALTER TABLE matters ADD COLUMN target_unit TEXT;
-- Personal data (the first named petitioner): masked or hidden by the API like every other.
ALTER TABLE matters ADD COLUMN petitioner TEXT;
ALTER TABLE matters ADD COLUMN persons BIGINT NOT NULL DEFAULT 0;
CREATE INDEX matters_received ON matters (received_on);

-- The units that hold each matter, by their path from the top of the organisation (ids joined and ended
-- by U+001F), so that "my unit and every unit below it" is one range scan.
CREATE TABLE matter_units (
    unit_path TEXT COLLATE "C" NOT NULL,
    matter_id TEXT NOT NULL,
    PRIMARY KEY (unit_path, matter_id)
);
CREATE INDEX matter_units_matter ON matter_units (matter_id);

CREATE TABLE projection_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO projection_version (id, version) VALUES (1, 0);

-- Reads of personal data and changes, with where they came from. Not events: reads change nothing, and
-- the trail must not grow the chain that figures are computed from.
CREATE TABLE audit (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms     BIGINT NOT NULL,
    user_id   TEXT    NOT NULL,
    unit_id   TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    address   TEXT    NOT NULL
);
CREATE INDEX audit_at ON audit (at_ms);
CREATE INDEX audit_subject ON audit (subject);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END;
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- Tokens for systems (a 12345 platform, the provincial system): found by the SHA-256 of the secret.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    unit_id      TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_ms   BIGINT NOT NULL,
    created_by   TEXT    NOT NULL,
    revoked_ms   BIGINT,
    last_used_ms BIGINT
);

-- Uploaded files (scans, photos, recordings), by content hash.
CREATE TABLE attachments (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT    NOT NULL,
    size       BIGINT NOT NULL,
    content    BYTEA    NOT NULL,
    stored_ms  BIGINT NOT NULL
);

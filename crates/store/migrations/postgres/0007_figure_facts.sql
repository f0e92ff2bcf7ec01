-- The countable things of every matter (xinfang_domain::figures::Fact), maintained from the events with
-- the projections and rebuilt with them: the figures of brief §6 are sums over these rows, so a figure
-- for any period and as-of day reads only the rows of that period. Days are ISO text (YYYY-MM-DD).
CREATE TABLE figure_facts (
    matter_id   TEXT    NOT NULL,
    ordinal     INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    known_on    TEXT    NOT NULL,
    done_on     TEXT,
    changed_on  TEXT,
    changed_day TEXT,
    region      TEXT    NOT NULL,
    domain      TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    unit        TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    flags       INTEGER NOT NULL,
    PRIMARY KEY (matter_id, ordinal)
);
CREATE INDEX figure_facts_day ON figure_facts (kind, day);
CREATE INDEX figure_facts_changed_day ON figure_facts (kind, changed_day);

-- The rules the rows were computed with (the repeat window of 一次性化解率); other rules rebuild them.
CREATE TABLE figure_facts_rules (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    repeat_window_days INTEGER NOT NULL
);
INSERT INTO figure_facts_rules (id, repeat_window_days) VALUES (1, -1);

-- One row per flag a matter has, so that a list of the matters with a flag (督办中, 包案, 不满意待回访) reads
-- those matters instead of testing the `flags` text column of every matter. Maintained with `matters`,
-- rebuilt and verified with it. The backfill names the flags of xinfang_domain::workflow::MATTER_FLAGS.
CREATE TABLE matter_flags (
    flag      TEXT NOT NULL,
    matter_id TEXT NOT NULL,
    PRIMARY KEY (flag, matter_id)
);
CREATE INDEX matter_flags_matter ON matter_flags (matter_id);

WITH codes (code) AS (
    VALUES ('first'), ('repeat'), ('multi_submission'), ('collective'), ('anonymous'), ('skip_level'),
           ('national'), ('provincial'), ('joint'), ('urgent'), ('supervised'), ('leader'),
           ('co_handled'), ('unsatisfied')
)
INSERT INTO matter_flags (flag, matter_id)
SELECT codes.code, matters.id FROM matters JOIN codes ON matters.flags LIKE '% ' || codes.code || ' %';

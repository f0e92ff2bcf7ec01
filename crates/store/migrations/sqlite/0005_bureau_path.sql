-- The path of each matter's petition bureau (always one of its holders) on the matter itself, so that a
-- bureau's lists check scope in the row they read instead of probing `matter_units` for every matter.
ALTER TABLE matters ADD COLUMN bureau_path TEXT NOT NULL DEFAULT '';
WITH RECURSIVE paths (id, path) AS (
    SELECT id, id || char(31) FROM units
    WHERE parent IS NULL OR parent NOT IN (SELECT id FROM units)
    UNION ALL
    SELECT u.id, p.path || u.id || char(31) FROM units u JOIN paths p ON u.parent = p.id
)
UPDATE matters SET bureau_path = COALESCE(
    (SELECT path FROM paths WHERE paths.id = matters.bureau),
    matters.bureau || char(31)
);

-- Day-by-day sums of the figure facts' steps (xinfang_domain::figures::Fact::steps) by the unit counted
-- for, the domain and the county (the region's first 6 digits): a window seen on or after its last day
-- sums the rows with `key_day` in its period and `from_day` on or before its as-of day, one row per
-- day, unit, domain and county instead of one per fact. Maintained with the facts in the same
-- transaction (rows are added to, so a row may come to hold only zeros), rebuilt and verified with them.
-- WITHOUT ROWID: rows are found and added to by their key, so the key is the table.
CREATE TABLE figure_rollups (
    key_day  TEXT NOT NULL,
    from_day TEXT NOT NULL,
    unit     TEXT NOT NULL,
    domain   TEXT NOT NULL,
    county   TEXT NOT NULL,
    contacts                          INTEGER NOT NULL DEFAULT 0,
    persons                           INTEGER NOT NULL DEFAULT 0,
    matters                           INTEGER NOT NULL DEFAULT 0,
    online                            INTEGER NOT NULL DEFAULT 0,
    repeat                            INTEGER NOT NULL DEFAULT 0,
    collective                        INTEGER NOT NULL DEFAULT 0,
    national                          INTEGER NOT NULL DEFAULT 0,
    provincial                        INTEGER NOT NULL DEFAULT 0,
    decision_on_time                  INTEGER NOT NULL DEFAULT 0,
    decision_late                     INTEGER NOT NULL DEFAULT 0,
    decision_overdue                  INTEGER NOT NULL DEFAULT 0,
    answer_on_time                    INTEGER NOT NULL DEFAULT 0,
    answer_late                       INTEGER NOT NULL DEFAULT 0,
    answer_overdue                    INTEGER NOT NULL DEFAULT 0,
    bureau_rated                      INTEGER NOT NULL DEFAULT 0,
    bureau_expired                    INTEGER NOT NULL DEFAULT 0,
    unit_rated                        INTEGER NOT NULL DEFAULT 0,
    unit_expired                      INTEGER NOT NULL DEFAULT 0,
    bureau_satisfied                  INTEGER NOT NULL DEFAULT 0,
    bureau_basically_satisfied        INTEGER NOT NULL DEFAULT 0,
    bureau_unsatisfied                INTEGER NOT NULL DEFAULT 0,
    bureau_proxy_satisfied            INTEGER NOT NULL DEFAULT 0,
    bureau_proxy_basically_satisfied  INTEGER NOT NULL DEFAULT 0,
    bureau_proxy_unsatisfied          INTEGER NOT NULL DEFAULT 0,
    unit_satisfied                    INTEGER NOT NULL DEFAULT 0,
    unit_basically_satisfied          INTEGER NOT NULL DEFAULT 0,
    unit_unsatisfied                  INTEGER NOT NULL DEFAULT 0,
    unit_proxy_satisfied              INTEGER NOT NULL DEFAULT 0,
    unit_proxy_basically_satisfied    INTEGER NOT NULL DEFAULT 0,
    unit_proxy_unsatisfied            INTEGER NOT NULL DEFAULT 0,
    one_time_resolved                 INTEGER NOT NULL DEFAULT 0,
    one_time_not_resolved             INTEGER NOT NULL DEFAULT 0,
    one_time_watching                 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_day, from_day, unit, domain, county)
) WITHOUT ROWID;

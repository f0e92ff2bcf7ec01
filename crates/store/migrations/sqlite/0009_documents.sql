-- Documents (文书): the templates administrators set, and the numbers issued. A number is the next serial
-- of its issuing unit, kind and year; the unique key makes a duplicate impossible, whatever the writers.
CREATE TABLE document_templates (
    unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (unit, kind)
);

CREATE TABLE documents (
    matter_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    year INTEGER NOT NULL,
    serial INTEGER NOT NULL,
    PRIMARY KEY (matter_id, ordinal),
    UNIQUE (issuer, kind, year, serial)
);

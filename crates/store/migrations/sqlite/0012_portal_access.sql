-- A petitioner's way back to their petition in the portal: the 查询码 printed on the receipt and the
-- Argon2id hash of the secret shown once at filing. Kept outside the event log, like passwords
-- (decision 0005), so no secret's hash is kept forever; the receipt in the log names the 查询码.
CREATE TABLE portal_access (
    query_code    TEXT PRIMARY KEY,
    matter_id     TEXT   NOT NULL,
    contact_id    TEXT   NOT NULL,
    secret_hash   TEXT   NOT NULL,
    created_at_ms INTEGER NOT NULL
);

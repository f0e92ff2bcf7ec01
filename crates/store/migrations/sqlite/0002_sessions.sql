-- Sign-in state. Not events: sessions and failed attempts are operational, short-lived and may be purged.

-- A session is found by the SHA-256 of its token; the token itself exists only in the user's cookie.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    csrf_token   TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    address      TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins, by user name and by address, for throttling across every server process.
CREATE TABLE login_failures (
    throttle_key TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, at_ms);

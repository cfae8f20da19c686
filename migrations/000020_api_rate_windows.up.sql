-- The JSON API's rate limits (issue 14): one counter per key (a token, a company or a
-- client address) and fixed one-minute window, shared by every Herald instance and bumped
-- by one INSERT ... ON CONFLICT per request. UNLOGGED: no WAL for a write on every request;
-- after a crash the counters start again from zero, which only forgives a minute of
-- requests. The cleanup job deletes ended windows (DeleteExpired).
CREATE UNLOGGED TABLE api_rate_windows (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Exactness: writes that cost the same at any size, sign-in throttling
-- that holds under concurrent tries, and a row health checks write.

-- Re-indexing a ticket's subject deletes its terms by ticket: without this
-- index that delete read the whole table.
CREATE INDEX ticket_terms_ticket ON ticket_terms (ticket_id, term);

-- Sign-in tries per key ('email:…' or 'ip:…') in the current window. A
-- try is counted, by a conditional update, before its password is checked,
-- so a burst of tries cannot pass the limit; a successful sign-in takes
-- its try back.
CREATE TABLE login_throttles (
    key TEXT PRIMARY KEY NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    tries BIGINT NOT NULL
);

-- One row that /healthz writes, proving the instance can write.
CREATE TABLE health_checks (
    id BIGINT PRIMARY KEY NOT NULL,
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO health_checks (id, checked_at) VALUES (1, CURRENT_TIMESTAMP);

-- The agent desk: sessions, the queue's SLA order, subject search, and the
-- default SLA targets and business calendar.

-- A signed-in agent's session. The cookie carries a random key; only its
-- SHA-256 is stored. expires_at is the idle deadline, pushed on as the agent
-- works; created_at bounds the session's whole life.
CREATE TABLE agent_sessions (
    key_hash TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX agent_sessions_expires ON agent_sessions (expires_at);

-- The next SLA target still running (first response, else resolution);
-- NULL while no clock runs (pending, solved, closed). The queue sorts and
-- finds breaches by it.
ALTER TABLE tickets ADD COLUMN sla_due_at TIMESTAMP;
-- Business minutes the ticket spent pending: the resolution target moves
-- on by that much.
ALTER TABLE tickets ADD COLUMN sla_paused_minutes BIGINT NOT NULL DEFAULT 0;
DROP INDEX tickets_resolution_due;
DROP INDEX tickets_first_response_due;
-- The queue reads tickets through these: an equality prefix (status, and
-- the assignee, category, priority or currency filtered on), then the sort
-- key. Each carries every column the queue filters on, so whichever one the
-- planner picks tests the filters on index entries and reads the table only
-- for the tickets it shows.
DROP INDEX tickets_status_updated;
CREATE INDEX tickets_status_updated
    ON tickets (status, updated_at, id, sla_due_at, assignee_id, category, priority, currency);
CREATE INDEX tickets_sla_due
    ON tickets (status, sla_due_at, id, assignee_id, category, priority, currency);
DROP INDEX tickets_assignee_status;
CREATE INDEX tickets_assignee_status
    ON tickets (assignee_id, status, updated_at, id, sla_due_at, category, priority, currency);
CREATE INDEX tickets_assignee_sla_due
    ON tickets (assignee_id, status, sla_due_at, id, category, priority, currency);
DROP INDEX tickets_priority_status;
CREATE INDEX tickets_priority_status
    ON tickets (priority, status, updated_at, id, sla_due_at, assignee_id, category, currency);
DROP INDEX tickets_category_status;
CREATE INDEX tickets_category_status
    ON tickets (category, status, updated_at, id, sla_due_at, assignee_id, priority, currency);
DROP INDEX tickets_currency_status;
CREATE INDEX tickets_currency_status
    ON tickets (currency, status, updated_at, id, sla_due_at, assignee_id, category, priority);

-- Words of ticket subjects (and two-character pieces of Chinese text), so a
-- search is an index look-up rather than a scan.
CREATE TABLE ticket_terms (
    term TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (term, ticket_id)
);

INSERT INTO sla_policies (priority, first_response_minutes, resolution_minutes, updated_at) VALUES
    ('urgent', 60, 480, CURRENT_TIMESTAMP),
    ('high', 240, 1440, CURRENT_TIMESTAMP),
    ('normal', 480, 2700, CURRENT_TIMESTAMP),
    ('low', 1440, 5400, CURRENT_TIMESTAMP);
INSERT INTO business_calendar (id, time_zone, work_days, work_start_minute, work_end_minute, updated_at)
VALUES (1, 'Asia/Shanghai', '1,2,3,4,5', 540, 1080, CURRENT_TIMESTAMP);

-- Tickets that came by e-mail are kept, as if they came through the API.
DROP TABLE inbound_messages;
CREATE TABLE tickets_rebuilt (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    transaction_id BIGINT REFERENCES transactions (id),
    category TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')),
    assignee_id BIGINT REFERENCES agents (id),
    channel TEXT NOT NULL CHECK (channel IN ('web_form', 'agent', 'api')),
    subject TEXT NOT NULL,
    amount_minor BIGINT,
    currency TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    first_response_due_at TIMESTAMP,
    resolution_due_at TIMESTAMP,
    first_responded_at TIMESTAMP,
    sla_paused_at TIMESTAMP,
    solved_at TIMESTAMP,
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sla_due_at TIMESTAMP,
    sla_paused_minutes BIGINT NOT NULL DEFAULT 0
);
INSERT INTO tickets_rebuilt (id, customer_id, transaction_id, category, priority, status, assignee_id, channel, subject, amount_minor, currency, version, first_response_due_at, resolution_due_at, first_responded_at, sla_paused_at, solved_at, closed_at, created_at, updated_at, sla_due_at, sla_paused_minutes)
    SELECT id, customer_id, transaction_id, category, priority, status, assignee_id, CASE channel WHEN 'email' THEN 'api' ELSE channel END, subject, amount_minor, currency, version, first_response_due_at, resolution_due_at, first_responded_at, sla_paused_at, solved_at, closed_at, created_at, updated_at, sla_due_at, sla_paused_minutes FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_rebuilt RENAME TO tickets;
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_customer ON tickets (customer_id, created_at);
CREATE INDEX tickets_transaction ON tickets (transaction_id);
CREATE INDEX tickets_status_updated
    ON tickets (status, updated_at, id, sla_due_at, assignee_id, category, priority, currency);
CREATE INDEX tickets_sla_due
    ON tickets (status, sla_due_at, id, assignee_id, category, priority, currency);
CREATE INDEX tickets_assignee_status
    ON tickets (assignee_id, status, updated_at, id, sla_due_at, category, priority, currency);
CREATE INDEX tickets_assignee_sla_due
    ON tickets (assignee_id, status, sla_due_at, id, category, priority, currency);
CREATE INDEX tickets_priority_status
    ON tickets (priority, status, updated_at, id, sla_due_at, assignee_id, category, currency);
CREATE INDEX tickets_category_status
    ON tickets (category, status, updated_at, id, sla_due_at, assignee_id, priority, currency);
CREATE INDEX tickets_currency_status
    ON tickets (currency, status, updated_at, id, sla_due_at, assignee_id, category, priority);

-- Redress foundation schema. Amounts are integer minor units beside a
-- currency code; times are UTC; enumerations are TEXT, checked here and
-- converted at the model boundary. The PostgreSQL migration of the same
-- version differs only in how ids are generated.

CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    external_ref TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT,
    locale TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
    status TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'locked')),
    status_reason TEXT,
    status_changed_at TIMESTAMP,
    identity_verified BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customers_name ON customers (name);

-- Balances are cached totals of the account's transfers (TigerBeetle's
-- model); they change only through conditional updates in the transaction
-- that writes the transfer.
CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    customer_id BIGINT REFERENCES customers (id),
    currency TEXT NOT NULL,
    debits_posted BIGINT NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted BIGINT NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending BIGINT NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending BIGINT NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    forbid_overdraft BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (NOT forbid_overdraft OR debits_posted + debits_pending <= credits_posted)
);
CREATE INDEX ledger_accounts_customer ON ledger_accounts (customer_id, currency);

-- What the wallet user sees: a payment, a top-up, a trade...
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    method TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    counterparty TEXT,
    counterparty_customer_id BIGINT REFERENCES customers (id),
    original_transaction_id BIGINT REFERENCES transactions (id),
    external_ref TEXT,
    failure_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX transactions_customer ON transactions (customer_id, created_at);
CREATE INDEX transactions_original ON transactions (original_transaction_id);
CREATE INDEX transactions_counterparty ON transactions (counterparty_customer_id);

-- A ticket's reference (RD-000123) is its id, formatted.
CREATE TABLE tickets (
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
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at, id);
CREATE INDEX tickets_assignee_status ON tickets (assignee_id, status, updated_at, id);
CREATE INDEX tickets_category_status ON tickets (category, status, updated_at, id);
CREATE INDEX tickets_priority_status ON tickets (priority, status, updated_at, id);
CREATE INDEX tickets_resolution_due ON tickets (status, resolution_due_at, id);
CREATE INDEX tickets_first_response_due ON tickets (status, first_response_due_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_customer ON tickets (customer_id, created_at);
CREATE INDEX tickets_transaction ON tickets (transaction_id);
CREATE INDEX tickets_currency_status ON tickets (currency, status, updated_at, id);

-- The ticket's timeline. body is the user's or agent's text; data holds the
-- structured part (from/to of a change) as JSON.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (actor IN ('customer', 'agent', 'system')),
    agent_id BIGINT REFERENCES agents (id),
    body TEXT,
    data TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    event_id BIGINT REFERENCES ticket_events (id),
    storage_name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'application/pdf')),
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL CHECK (uploaded_by IN ('customer', 'agent')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id);

CREATE TABLE playbook_step_states (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    step_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('passed', 'failed', 'skipped')),
    note TEXT,
    agent_id BIGINT REFERENCES agents (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, step_key)
);

CREATE TABLE remedies (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT REFERENCES tickets (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    transaction_id BIGINT REFERENCES transactions (id),
    kind TEXT NOT NULL,
    amount_minor BIGINT CHECK (amount_minor > 0),
    currency TEXT,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected', 'executed', 'failed', 'cancelled')),
    requires_approval BOOLEAN NOT NULL,
    proposed_by BIGINT NOT NULL REFERENCES agents (id),
    approved_by BIGINT REFERENCES agents (id),
    executed_by BIGINT REFERENCES agents (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    failure TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    proposed_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    executed_at TIMESTAMP,
    CHECK (approved_by IS NULL OR approved_by <> proposed_by)
);
CREATE INDEX remedies_ticket ON remedies (ticket_id);
CREATE INDEX remedies_status ON remedies (status, proposed_at);

-- Append-only. A pending transfer holds funds; a later transfer names it in
-- pending_id to post or void it, and the unique index lets that happen once.
CREATE TABLE ledger_transfers (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    debit_account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('posted', 'pending', 'post_pending', 'void_pending')),
    pending_id BIGINT UNIQUE REFERENCES ledger_transfers (id),
    transaction_id BIGINT REFERENCES transactions (id),
    ticket_id BIGINT REFERENCES tickets (id),
    remedy_id BIGINT REFERENCES remedies (id),
    memo TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((phase IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL))
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id);
CREATE INDEX ledger_transfers_transaction ON ledger_transfers (transaction_id);
CREATE INDEX ledger_transfers_ticket ON ledger_transfers (ticket_id);
CREATE INDEX ledger_transfers_remedy ON ledger_transfers (remedy_id);

-- Idempotency as payment APIs define it: the key, a hash of the request and
-- the stored result, written in the transaction that did the work.
CREATE TABLE idempotency_records (
    key TEXT PRIMARY KEY NOT NULL,
    operation TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE outbox_emails (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    to_address TEXT NOT NULL,
    locale TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets (id),
    customer_id BIGINT REFERENCES customers (id),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_emails_due ON outbox_emails (status, next_attempt_at);
CREATE INDEX outbox_emails_ticket ON outbox_emails (ticket_id);

-- Hash-chained: hash = SHA-256(prev_hash || content). The unique prev_hash
-- makes two writers racing for the same tip fail instead of forking.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('agent', 'system', 'api', 'cli', 'customer')),
    actor_agent_id BIGINT REFERENCES agents (id),
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets (id),
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_actor ON audit_log (actor_agent_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_ticket ON audit_log (ticket_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    last_used_at TIMESTAMP
);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

-- Tracking links hold a random token; only its SHA-256 is kept.
CREATE TABLE tracking_tokens (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP
);
CREATE INDEX tracking_tokens_ticket ON tracking_tokens (ticket_id);

CREATE TABLE sla_policies (
    priority TEXT PRIMARY KEY NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    first_response_minutes BIGINT NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes BIGINT NOT NULL CHECK (resolution_minutes > 0),
    updated_at TIMESTAMP NOT NULL
);

-- One row: the business calendar SLA clocks count in. Work days are ISO
-- weekday numbers (1 = Monday), comma separated; hours are minutes after
-- local midnight.
CREATE TABLE business_calendar (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    time_zone TEXT NOT NULL,
    work_days TEXT NOT NULL,
    work_start_minute BIGINT NOT NULL CHECK (work_start_minute >= 0 AND work_start_minute < 1440),
    work_end_minute BIGINT NOT NULL CHECK (work_end_minute > work_start_minute AND work_end_minute <= 1440),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE holidays (
    day TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
);

-- Remedies at or above the threshold need a second person.
CREATE TABLE approval_thresholds (
    currency TEXT PRIMARY KEY NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    updated_at TIMESTAMP NOT NULL
);

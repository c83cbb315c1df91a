// @generated automatically by Diesel CLI.

diesel::table! {
    agent_sessions (key_hash) {
        key_hash -> Text,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    agents (id) {
        id -> Int8,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        language -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    approval_thresholds (currency) {
        currency -> Text,
        amount_minor -> Int8,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Int8,
        ticket_id -> Int8,
        event_id -> Nullable<Int8>,
        storage_name -> Text,
        original_name -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_chain_head (id) {
        id -> Int8,
        last_seq -> Int8,
        last_hash -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamp,
        actor_kind -> Text,
        actor_agent_id -> Nullable<Int8>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        ticket_id -> Nullable<Int8>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    business_calendar (id) {
        id -> Int8,
        time_zone -> Text,
        work_days -> Text,
        work_start_minute -> Int8,
        work_end_minute -> Int8,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    customers (id) {
        id -> Int8,
        external_ref -> Text,
        email -> Text,
        name -> Text,
        phone -> Nullable<Text>,
        locale -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        status_changed_at -> Nullable<Timestamp>,
        identity_verified -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// lower(name), kept by the database.
        name_key -> Text,
        /// lower(email), kept by the database.
        email_key -> Text,
    }
}

diesel::table! {
    health_checks (id) {
        id -> Int8,
        checked_at -> Timestamp,
    }
}

diesel::table! {
    holidays (day) {
        day -> Text,
        name -> Text,
    }
}

diesel::table! {
    idempotency_records (key) {
        key -> Text,
        operation -> Text,
        request_hash -> Text,
        result -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    inbound_messages (id) {
        id -> Int8,
        message_id -> Text,
        sender -> Text,
        subject -> Text,
        kind -> Text,
        ticket_id -> Nullable<Int8>,
        event_id -> Nullable<Int8>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Int8,
        code -> Text,
        kind -> Text,
        customer_id -> Nullable<Int8>,
        currency -> Text,
        debits_posted -> Int8,
        credits_posted -> Int8,
        debits_pending -> Int8,
        credits_pending -> Int8,
        forbid_overdraft -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_transfers (id) {
        id -> Int8,
        idempotency_key -> Text,
        debit_account_id -> Int8,
        credit_account_id -> Int8,
        amount_minor -> Int8,
        currency -> Text,
        kind -> Text,
        phase -> Text,
        pending_id -> Nullable<Int8>,
        transaction_id -> Nullable<Int8>,
        ticket_id -> Nullable<Int8>,
        remedy_id -> Nullable<Int8>,
        memo -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        succeeded -> Bool,
        at -> Timestamp,
    }
}

diesel::table! {
    login_throttles (key) {
        key -> Text,
        window_started_at -> Timestamp,
        tries -> Int8,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> Int8,
        message_id -> Text,
        to_address -> Text,
        locale -> Text,
        template -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        ticket_id -> Nullable<Int8>,
        customer_id -> Nullable<Int8>,
        status -> Text,
        attempts -> Int8,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    playbook_step_states (id) {
        id -> Int8,
        ticket_id -> Int8,
        step_key -> Text,
        state -> Text,
        note -> Nullable<Text>,
        agent_id -> Nullable<Int8>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    remedies (id) {
        id -> Int8,
        ticket_id -> Nullable<Int8>,
        customer_id -> Int8,
        transaction_id -> Nullable<Int8>,
        kind -> Text,
        amount_minor -> Nullable<Int8>,
        currency -> Nullable<Text>,
        reason -> Text,
        status -> Text,
        requires_approval -> Bool,
        proposed_by -> Int8,
        approved_by -> Nullable<Int8>,
        executed_by -> Nullable<Int8>,
        idempotency_key -> Text,
        failure -> Nullable<Text>,
        version -> Int8,
        proposed_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        executed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sla_policies (priority) {
        priority -> Text,
        first_response_minutes -> Int8,
        resolution_minutes -> Int8,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> Int8,
        ticket_id -> Int8,
        kind -> Text,
        actor -> Text,
        agent_id -> Nullable<Int8>,
        body -> Nullable<Text>,
        data -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_terms (term, ticket_id) {
        term -> Text,
        ticket_id -> Int8,
    }
}

diesel::table! {
    tickets (id) {
        id -> Int8,
        customer_id -> Int8,
        transaction_id -> Nullable<Int8>,
        category -> Text,
        priority -> Text,
        status -> Text,
        assignee_id -> Nullable<Int8>,
        channel -> Text,
        subject -> Text,
        amount_minor -> Nullable<Int8>,
        currency -> Nullable<Text>,
        version -> Int8,
        first_response_due_at -> Nullable<Timestamp>,
        resolution_due_at -> Nullable<Timestamp>,
        first_responded_at -> Nullable<Timestamp>,
        sla_paused_at -> Nullable<Timestamp>,
        solved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sla_due_at -> Nullable<Timestamp>,
        sla_paused_minutes -> Int8,
    }
}

diesel::table! {
    tracking_tokens (id) {
        id -> Int8,
        ticket_id -> Int8,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    transactions (id) {
        id -> Int8,
        reference -> Text,
        customer_id -> Int8,
        kind -> Text,
        status -> Text,
        method -> Text,
        amount_minor -> Int8,
        currency -> Text,
        counterparty -> Nullable<Text>,
        counterparty_customer_id -> Nullable<Int8>,
        original_transaction_id -> Nullable<Int8>,
        external_ref -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(attachments -> ticket_events (event_id));
diesel::joinable!(attachments -> tickets (ticket_id));
diesel::joinable!(audit_log -> agents (actor_agent_id));
diesel::joinable!(audit_log -> tickets (ticket_id));
diesel::joinable!(inbound_messages -> ticket_events (event_id));
diesel::joinable!(inbound_messages -> tickets (ticket_id));
diesel::joinable!(ledger_accounts -> customers (customer_id));
diesel::joinable!(ledger_transfers -> remedies (remedy_id));
diesel::joinable!(ledger_transfers -> tickets (ticket_id));
diesel::joinable!(ledger_transfers -> transactions (transaction_id));
diesel::joinable!(outbox_emails -> customers (customer_id));
diesel::joinable!(outbox_emails -> tickets (ticket_id));
diesel::joinable!(playbook_step_states -> agents (agent_id));
diesel::joinable!(playbook_step_states -> tickets (ticket_id));
diesel::joinable!(remedies -> customers (customer_id));
diesel::joinable!(remedies -> tickets (ticket_id));
diesel::joinable!(remedies -> transactions (transaction_id));
diesel::joinable!(ticket_events -> agents (agent_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_terms -> tickets (ticket_id));
diesel::joinable!(tickets -> agents (assignee_id));
diesel::joinable!(tickets -> customers (customer_id));
diesel::joinable!(tickets -> transactions (transaction_id));
diesel::joinable!(tracking_tokens -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(
    agent_sessions,
    agents,
    api_tokens,
    approval_thresholds,
    attachments,
    audit_chain_head,
    audit_log,
    business_calendar,
    customers,
    health_checks,
    holidays,
    idempotency_records,
    inbound_messages,
    ledger_accounts,
    ledger_transfers,
    login_attempts,
    login_throttles,
    outbox_emails,
    playbook_step_states,
    remedies,
    sla_policies,
    ticket_events,
    ticket_terms,
    tickets,
    tracking_tokens,
    transactions,
);

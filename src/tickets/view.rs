//! What the desk's pages show of a ticket, a customer and a transaction,
//! read in a few bounded queries.

use crate::db::models::{
    Customer, LedgerAccount, LedgerTransfer, Ticket, TicketEvent, Transaction,
};
use crate::db::schema::{
    agents, customers, ledger_accounts, ledger_transfers, ticket_events, tickets, transactions,
};
use crate::db::{DbConnection, DbError};
use crate::domain::*;
use crate::i18n::{Lang, text, text_with};
use diesel::prelude::*;
use std::collections::HashMap;

/// How many recent transactions and other tickets a panel lists.
pub const PANEL_ROWS: i64 = 10;
/// Longest timeline shown on one page.
pub const TIMELINE_ROWS: i64 = 500;

/// A wallet and what the customer can spend from it.
#[derive(Debug, Clone)]
pub struct Wallet {
    pub currency: Currency,
    /// Posted credits minus posted debits.
    pub balance: Money,
    /// Balance less what holds reserve.
    pub available: Money,
    /// Held for pending transfers out.
    pub held: Money,
}

impl From<&LedgerAccount> for Wallet {
    fn from(account: &LedgerAccount) -> Wallet {
        let balance = account.credits_posted - account.debits_posted;
        Wallet {
            currency: account.currency,
            balance: Money::from_minor(balance, account.currency),
            available: Money::from_minor(balance - account.debits_pending, account.currency),
            held: Money::from_minor(account.debits_pending, account.currency),
        }
    }
}

/// The customer panel.
#[derive(Debug, Clone)]
pub struct CustomerPanel {
    pub customer: Customer,
    pub wallets: Vec<Wallet>,
    pub recent_transactions: Vec<Transaction>,
    pub tickets: Vec<Ticket>,
}

/// One ledger transfer as the transaction panel lists it.
#[derive(Debug, Clone)]
pub struct TransferLine {
    pub transfer: LedgerTransfer,
    pub debit_code: String,
    pub credit_code: String,
    pub amount: Money,
}

/// The transaction panel.
#[derive(Debug, Clone)]
pub struct TransactionPanel {
    pub transaction: Transaction,
    pub amount: Money,
    pub counterparty_name: Option<String>,
    pub transfers: Vec<TransferLine>,
}

/// One timeline entry, with who made it: the agent's or the customer's
/// name, or "system".
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub event: TicketEvent,
    pub who: String,
    pub data: serde_json::Value,
}

impl TimelineEntry {
    /// A field of the event's data, as text.
    pub fn datum(&self, key: &str) -> String {
        match self.data.get(key) {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Null) | None => "—".to_owned(),
            Some(other) => other.to_string(),
        }
    }

    /// A datum that holds a code of `C`, in words (as stored when it is
    /// not one, so an old event still reads).
    fn datum_word<C: Coded + std::str::FromStr>(&self, key: &str, lang: Lang) -> String {
        let datum = self.datum(key);
        match datum.parse::<C>() {
            Ok(code) => crate::i18n::word(lang, code),
            Err(_) if datum == "—" => text(lang, "timeline-nobody"),
            Err(_) => datum,
        }
    }

    /// What the event says, in words from the catalogs.
    pub fn summary(&self, lang: Lang) -> String {
        let what = || {
            text(
                lang,
                &format!("step-{}", self.datum("kind").replace('_', "-")),
            )
        };
        let amount = || {
            let amount = self.datum("amount");
            if amount == "—" {
                String::new()
            } else {
                amount
            }
        };
        let from_to = |key: &str, from: String, to: String| {
            text_with(lang, key, &[("from", from), ("to", to)])
        };
        match self.event.kind {
            TicketEventKind::StatusChange => from_to(
                "timeline-status",
                self.datum_word::<TicketStatus>("from", lang),
                self.datum_word::<TicketStatus>("to", lang),
            ),
            TicketEventKind::Assignment => {
                let name = |key: &str| match self.datum(key) {
                    dash if dash == "—" => text(lang, "timeline-nobody"),
                    name => name,
                };
                from_to("timeline-assigned", name("from"), name("to"))
            }
            TicketEventKind::FieldChange => {
                let field = self.datum("field");
                let (from, to) = match field.as_str() {
                    "priority" => (
                        self.datum_word::<TicketPriority>("from", lang),
                        self.datum_word::<TicketPriority>("to", lang),
                    ),
                    "category" => (
                        self.datum_word::<TicketCategory>("from", lang),
                        self.datum_word::<TicketCategory>("to", lang),
                    ),
                    _ => (
                        self.datum_word::<TicketStatus>("from", lang),
                        self.datum_word::<TicketStatus>("to", lang),
                    ),
                };
                text_with(
                    lang,
                    "timeline-field",
                    &[
                        ("field", text(lang, &format!("field-{field}"))),
                        ("from", from),
                        ("to", to),
                    ],
                )
            }
            TicketEventKind::RemedyProposed => {
                let mut said = text_with(
                    lang,
                    "timeline-remedy-proposed",
                    &[("what", what()), ("amount", amount())],
                );
                if self.datum("requires_approval") == "true" {
                    said.push(' ');
                    said.push_str(&text(lang, "timeline-remedy-awaiting"));
                }
                said
            }
            TicketEventKind::RemedyApproved => {
                text_with(lang, "timeline-remedy-approved", &[("what", what())])
            }
            TicketEventKind::RemedyRejected => {
                text_with(lang, "timeline-remedy-rejected", &[("what", what())])
            }
            TicketEventKind::RemedyExecuted => text_with(
                lang,
                "timeline-remedy-executed",
                &[("what", what()), ("amount", amount())],
            ),
            TicketEventKind::PlaybookStep => text_with(
                lang,
                "timeline-step",
                &[
                    ("step", text(lang, &format!("step-{}", self.datum("step")))),
                    (
                        "state",
                        text(lang, &format!("state-{}", self.datum("state"))),
                    ),
                ],
            ),
            kind => crate::i18n::word(lang, kind),
        }
    }
}

/// Everything the ticket page shows.
#[derive(Debug, Clone)]
pub struct TicketPage {
    pub ticket: Ticket,
    pub customer: CustomerPanel,
    pub transaction: Option<TransactionPanel>,
    pub timeline: Vec<TimelineEntry>,
    pub assignee_name: Option<String>,
    /// Active agents, for the assignee choice.
    pub agents: Vec<(AgentId, String)>,
}

pub fn customer_panel(
    conn: &mut DbConnection,
    id: CustomerId,
) -> Result<Option<CustomerPanel>, DbError> {
    let Some(customer) = Customer::find(conn, id)? else {
        return Ok(None);
    };
    let wallets = ledger_accounts::table
        .filter(ledger_accounts::customer_id.eq(id))
        .filter(ledger_accounts::kind.eq(AccountKind::CustomerWallet))
        .order(ledger_accounts::currency)
        .select(LedgerAccount::as_select())
        .load(conn)?
        .iter()
        .map(Wallet::from)
        .collect();
    let recent_transactions = transactions::table
        .filter(transactions::customer_id.eq(id))
        .order((transactions::created_at.desc(), transactions::id.desc()))
        .limit(PANEL_ROWS)
        .select(Transaction::as_select())
        .load(conn)?;
    let tickets = tickets::table
        .filter(tickets::customer_id.eq(id))
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(PANEL_ROWS)
        .select(Ticket::as_select())
        .load(conn)?;
    Ok(Some(CustomerPanel {
        customer,
        wallets,
        recent_transactions,
        tickets,
    }))
}

pub fn transaction_panel(
    conn: &mut DbConnection,
    transaction: Transaction,
) -> Result<TransactionPanel, DbError> {
    let transfers: Vec<LedgerTransfer> = ledger_transfers::table
        .filter(ledger_transfers::transaction_id.eq(transaction.id))
        .order(ledger_transfers::id)
        .limit(100)
        .select(LedgerTransfer::as_select())
        .load(conn)?;
    let account_ids: Vec<LedgerAccountId> = transfers
        .iter()
        .flat_map(|t| [t.debit_account_id, t.credit_account_id])
        .collect();
    let codes: HashMap<LedgerAccountId, String> = ledger_accounts::table
        .filter(ledger_accounts::id.eq_any(&account_ids))
        .select((ledger_accounts::id, ledger_accounts::code))
        .load::<(LedgerAccountId, String)>(conn)?
        .into_iter()
        .collect();
    let counterparty_name = match transaction.counterparty_customer_id {
        Some(id) => customers::table
            .find(id)
            .select(customers::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    let code = |id: LedgerAccountId| codes.get(&id).cloned().unwrap_or_else(|| id.to_string());
    Ok(TransactionPanel {
        amount: Money::from_minor(transaction.amount_minor, transaction.currency),
        counterparty_name,
        transfers: transfers
            .into_iter()
            .map(|transfer| TransferLine {
                debit_code: code(transfer.debit_account_id),
                credit_code: code(transfer.credit_account_id),
                amount: Money::from_minor(transfer.amount_minor, transfer.currency),
                transfer,
            })
            .collect(),
        transaction,
    })
}

/// The transaction with this reference: as typed, upper-cased, or with
/// its `TX` prefix left off.
pub fn find_transaction(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Option<Transaction>, DbError> {
    // Only a well-formed reference can name one; anything else finds none.
    let Ok(reference) = crate::domain::text::reference(reference) else {
        return Ok(None);
    };
    let upper = reference.to_uppercase();
    let candidates = [reference.clone(), upper.clone(), format!("TX{upper}")];
    Ok(transactions::table
        .filter(transactions::reference.eq_any(candidates))
        .order(transactions::id)
        .select(Transaction::as_select())
        .first(conn)
        .optional()?)
}

/// Most customers one search lists.
pub const CUSTOMER_MATCHES: i64 = 50;

/// Customers found by a search, in name order, and whether more match.
#[derive(Debug, Clone, Default)]
pub struct CustomerMatches {
    pub customers: Vec<Customer>,
    pub more: bool,
}

diesel::define_sql_function! {
    /// SQL's lower(): the same lower-casing the key columns were made with.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Customers whose name or e-mail starts with `text` (any case, Chinese
/// included), or whose platform reference is `text`: index ranges over
/// the lower-cased keys, at most `CUSTOMER_MATCHES`, by name.
pub fn find_customers(conn: &mut DbConnection, text: &str) -> Result<CustomerMatches, DbError> {
    let text = crate::domain::text::search(text);
    let prefix: String = text.chars().take(100).collect();
    if prefix.is_empty() {
        return Ok(CustomerMatches::default());
    }
    // Every key that starts with the prefix sorts below the prefix followed
    // by the last code point.
    let end = format!("{prefix}\u{10FFFF}");
    let by_name: Vec<Customer> = customers::table
        .filter(customers::name_key.ge(lower(prefix.clone())))
        .filter(customers::name_key.lt(lower(end.clone())))
        .order((customers::name_key, customers::id))
        .limit(CUSTOMER_MATCHES + 1)
        .select(Customer::as_select())
        .load(conn)?;
    let by_email: Vec<Customer> = customers::table
        .filter(customers::email_key.ge(lower(prefix.clone())))
        .filter(customers::email_key.lt(lower(end)))
        .order((customers::email_key, customers::id))
        .limit(CUSTOMER_MATCHES + 1)
        .select(Customer::as_select())
        .load(conn)?;
    let by_reference: Vec<Customer> = customers::table
        .filter(customers::external_ref.eq(&prefix))
        .select(Customer::as_select())
        .load(conn)?;
    let mut found: Vec<Customer> = Vec::new();
    for customer in by_reference.into_iter().chain(by_name).chain(by_email) {
        if !found.iter().any(|c| c.id == customer.id) {
            found.push(customer);
        }
    }
    let more = found.len() as i64 > CUSTOMER_MATCHES;
    found.truncate(CUSTOMER_MATCHES as usize);
    Ok(CustomerMatches {
        customers: found,
        more,
    })
}

/// Tickets linked to a transaction, newest first.
pub fn tickets_of_transaction(
    conn: &mut DbConnection,
    id: TransactionId,
) -> Result<Vec<Ticket>, DbError> {
    Ok(tickets::table
        .filter(tickets::transaction_id.eq(id))
        .order(tickets::id.desc())
        .limit(PANEL_ROWS)
        .select(Ticket::as_select())
        .load(conn)?)
}

/// Active agents by name.
pub fn active_agents(conn: &mut DbConnection) -> Result<Vec<(AgentId, String)>, DbError> {
    Ok(agents::table
        .filter(agents::active.eq(true))
        .order((agents::name, agents::id))
        .select((agents::id, agents::name))
        .load(conn)?)
}

pub fn ticket_page(conn: &mut DbConnection, id: TicketId) -> Result<Option<TicketPage>, DbError> {
    let Some(ticket) = Ticket::find(conn, id)? else {
        return Ok(None);
    };
    let Some(customer) = customer_panel(conn, ticket.customer_id)? else {
        return Ok(None);
    };
    let transaction = match ticket.transaction_id {
        Some(tx) => match Transaction::find(conn, tx)? {
            Some(row) => Some(transaction_panel(conn, row)?),
            None => None,
        },
        None => None,
    };
    let events: Vec<TicketEvent> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .order(ticket_events::id)
        .limit(TIMELINE_ROWS)
        .select(TicketEvent::as_select())
        .load(conn)?;
    let agents = active_agents(conn)?;
    let mut names: HashMap<AgentId, String> = agents.iter().cloned().collect();
    let missing: Vec<AgentId> = events
        .iter()
        .filter_map(|e| e.agent_id)
        .chain(ticket.assignee_id)
        .filter(|id| !names.contains_key(id))
        .collect();
    if !missing.is_empty() {
        names.extend(
            agents::table
                .filter(agents::id.eq_any(&missing))
                .select((agents::id, agents::name))
                .load::<(AgentId, String)>(conn)?,
        );
    }
    let timeline = events
        .into_iter()
        .map(|event| TimelineEntry {
            who: match (event.actor, event.agent_id.and_then(|id| names.get(&id))) {
                (_, Some(name)) => name.clone(),
                (Actor::Customer, None) => customer.customer.name.clone(),
                (actor, None) => actor.to_string(),
            },
            data: event
                .data
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(serde_json::Value::Null),
            event,
        })
        .collect();
    Ok(Some(TicketPage {
        assignee_name: ticket.assignee_id.and_then(|id| names.get(&id).cloned()),
        ticket,
        customer,
        transaction,
        timeline,
        agents,
    }))
}

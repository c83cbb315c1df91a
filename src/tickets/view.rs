//! What the desk's pages show of a ticket, a customer and a transaction,
//! read in a few bounded queries.

use crate::db::models::{
    Customer, LedgerAccount, LedgerTransfer, Ticket, TicketEvent, Transaction,
};
use crate::db::schema::{
    agents, attachments, customers, ledger_accounts, ledger_transfers, ticket_events, tickets,
    transactions,
};
use crate::db::{DbConnection, DbError};
use crate::domain::*;
use crate::i18n::{Lang, text, text_with};
use diesel::prelude::*;
use std::collections::HashMap;

/// How many recent transactions and other tickets a panel lists.
pub const PANEL_ROWS: i64 = 10;
/// Panels count a customer's records up to this, then say "1000+".
pub const COUNT_CAP: i64 = 1000;
/// Rows on one page of a customer's full list.
pub const LIST_ROWS: i64 = 50;
/// Refunds of one payment listed on its panel.
const REFUND_ROWS: i64 = 20;

/// How many records there are, counted up to `COUNT_CAP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: usize,
    /// There are more than `count`.
    pub more: bool,
}

impl std::fmt::Display for Total {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.more {
            write!(f, "{}+", self.count)
        } else {
            write!(f, "{}", self.count)
        }
    }
}

impl Total {
    /// A total from ids read with a limit of `COUNT_CAP + 1`.
    pub fn of(found: usize) -> Total {
        let cap = COUNT_CAP as usize;
        Total {
            count: found.min(cap),
            more: found > cap,
        }
    }
}

/// A customer named on a page, to link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub id: CustomerId,
    pub name: String,
}

/// A ledger account as a transfer line shows it: what it is and, for a
/// wallet, whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLabel {
    pub code: String,
    pub kind: AccountKind,
    pub owner: Option<Party>,
}
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
    pub transactions_total: Total,
    pub tickets: Vec<Ticket>,
    pub tickets_total: Total,
}

/// One ledger transfer as the transaction panel lists it.
#[derive(Debug, Clone)]
pub struct TransferLine {
    pub transfer: LedgerTransfer,
    pub debit: AccountLabel,
    pub credit: AccountLabel,
    pub amount: Money,
}

/// The transaction panel.
#[derive(Debug, Clone)]
pub struct TransactionPanel {
    pub transaction: Transaction,
    pub amount: Money,
    /// Whose transaction it is.
    pub customer: Party,
    /// The other wallet customer of a transfer or trade.
    pub counterparty: Option<Party>,
    /// A P2P trade's two sides: the seller funds the escrow.
    pub seller: Option<Party>,
    pub buyer: Option<Party>,
    /// The payment a refund pays back.
    pub original: Option<Transaction>,
    /// A payment's refunds, newest first.
    pub refunds: Vec<Transaction>,
    pub transfers: Vec<TransferLine>,
}

/// One timeline entry, with who made it: the agent's or the customer's
/// name, or "system".
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub event: TicketEvent,
    /// The agent's or the customer's name; none for Redress itself.
    pub who: Option<String>,
    pub data: serde_json::Value,
    /// The files that came with it.
    pub files: Vec<AttachmentLine>,
}

/// A file on the ticket, as the timeline lists it.
#[derive(Debug, Clone, Queryable)]
pub struct AttachmentLine {
    pub id: i64,
    pub event_id: Option<TicketEventId>,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl AttachmentLine {
    /// Whether the page shows a thumbnail (the preview checks the content
    /// again before it serves one).
    pub fn is_image(&self) -> bool {
        matches!(self.content_type.as_str(), "image/png" | "image/jpeg")
    }

    /// The catalog key for the file's type.
    pub fn type_key(&self) -> &'static str {
        match self.content_type.as_str() {
            "image/png" => "file-type-png",
            "image/jpeg" => "file-type-jpeg",
            _ => "file-type-pdf",
        }
    }

    /// "PNG image, 42 KB" and the like.
    pub fn size(&self) -> String {
        match self.size_bytes {
            n if n < 1024 => format!("{n} B"),
            n if n < 1024 * 1024 => format!("{} KB", (n + 1023) / 1024),
            n => format!(
                "{}.{} MB",
                n / (1024 * 1024),
                (n % (1024 * 1024)) * 10 / (1024 * 1024)
            ),
        }
    }
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

    /// The files that came with a customer's message but were not
    /// accepted, each with why, in words.
    pub fn refused_files(&self, lang: Lang) -> Vec<String> {
        let refused: Vec<crate::evidence::RefusedFile> = self
            .data
            .get("refused")
            .and_then(|list| serde_json::from_value(list.clone()).ok())
            .unwrap_or_default();
        refused
            .iter()
            .map(|file| {
                text_with(
                    lang,
                    "timeline-file-refused",
                    &[
                        ("name", file.name.clone()),
                        ("reason", text(lang, file.reason.key())),
                    ],
                )
            })
            .collect()
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
            TicketEventKind::AutoReply => {
                text_with(lang, "timeline-auto-reply", &[("from", self.datum("from"))])
            }
            TicketEventKind::MailBounce => {
                text_with(lang, "timeline-bounce", &[("from", self.datum("from"))])
            }
            TicketEventKind::UserMessage if self.datum("via") == Channel::Email.as_str() => {
                text(lang, "timeline-by-email")
            }
            TicketEventKind::UserMessage
                if self.data.get("details").is_some_and(|d| d.is_object()) =>
            {
                let detail = |key: &str| match self.data["details"].get(key) {
                    Some(serde_json::Value::String(text)) => text.clone(),
                    _ => "—".to_owned(),
                };
                text_with(
                    lang,
                    "timeline-dispute",
                    &[
                        ("date", detail("date")),
                        ("amount", detail("amount")),
                        ("name", detail("name")),
                    ],
                )
            }
            TicketEventKind::UserMessage if self.datum("via") == Channel::WebForm.as_str() => {
                text(lang, "timeline-by-tracking-page")
            }
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
    let recent_transactions = customer_transactions(conn, id, None, PANEL_ROWS)?;
    let transactions_total = Total::of(
        transactions::table
            .filter(transactions::customer_id.eq(id))
            .select(transactions::id)
            .limit(COUNT_CAP + 1)
            .load::<TransactionId>(conn)?
            .len(),
    );
    let tickets = customer_tickets(conn, id, None, PANEL_ROWS)?;
    let tickets_total = Total::of(
        tickets::table
            .filter(tickets::customer_id.eq(id))
            .select(tickets::id)
            .limit(COUNT_CAP + 1)
            .load::<TicketId>(conn)?
            .len(),
    );
    Ok(Some(CustomerPanel {
        customer,
        wallets,
        recent_transactions,
        transactions_total,
        tickets,
        tickets_total,
    }))
}

/// Where a page of a newest-first list continues: below this creation
/// time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub created_at: chrono::NaiveDateTime,
    pub id: i64,
}

impl ListCursor {
    /// `<microseconds since 1970>.<id>`, for a link.
    pub fn encode(self) -> String {
        format!(
            "{}.{}",
            self.created_at.and_utc().timestamp_micros(),
            self.id
        )
    }

    pub fn decode(text: &str) -> Option<ListCursor> {
        let (micros, id) = text.split_once('.')?;
        let created_at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
        Some(ListCursor {
            created_at,
            id: id.parse().ok()?,
        })
    }
}

/// Which of a customer's records a full list shows (its path segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ListOf {
    Tickets,
    Transactions,
}

/// One page of a customer's full list, and where the next begins.
#[derive(Debug, Clone)]
pub struct CustomerList {
    pub customer: Customer,
    pub tickets: Vec<Ticket>,
    pub transactions: Vec<Transaction>,
    pub next: Option<ListCursor>,
}

/// A page of `LIST_ROWS` of a customer's tickets or transactions, newest
/// first, after `after`; None when there is no such customer.
pub fn customer_list(
    conn: &mut DbConnection,
    id: CustomerId,
    of: ListOf,
    after: Option<ListCursor>,
) -> Result<Option<CustomerList>, DbError> {
    let Some(customer) = Customer::find(conn, id)? else {
        return Ok(None);
    };
    let limit = LIST_ROWS as usize;
    let mut list = CustomerList {
        customer,
        tickets: Vec::new(),
        transactions: Vec::new(),
        next: None,
    };
    match of {
        ListOf::Tickets => {
            list.tickets = customer_tickets(conn, id, after, LIST_ROWS + 1)?;
            if list.tickets.len() > limit {
                list.tickets.truncate(limit);
                list.next = list.tickets.last().map(|t| ListCursor {
                    created_at: t.created_at,
                    id: t.id.0,
                });
            }
        }
        ListOf::Transactions => {
            list.transactions = customer_transactions(conn, id, after, LIST_ROWS + 1)?;
            if list.transactions.len() > limit {
                list.transactions.truncate(limit);
                list.next = list.transactions.last().map(|t| ListCursor {
                    created_at: t.created_at,
                    id: t.id.0,
                });
            }
        }
    }
    Ok(Some(list))
}

/// A customer's transactions, newest first, from `after` on: the
/// `(customer_id, created_at)` index read backwards.
pub fn customer_transactions(
    conn: &mut DbConnection,
    id: CustomerId,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<Vec<Transaction>, DbError> {
    let mut query = transactions::table
        .filter(transactions::customer_id.eq(id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(
            transactions::created_at
                .lt(after.created_at)
                .or(transactions::created_at
                    .eq(after.created_at)
                    .and(transactions::id.lt(TransactionId(after.id)))),
        );
    }
    Ok(query
        .order((transactions::created_at.desc(), transactions::id.desc()))
        .limit(limit)
        .select(Transaction::as_select())
        .load(conn)?)
}

/// A customer's tickets, newest first, from `after` on.
pub fn customer_tickets(
    conn: &mut DbConnection,
    id: CustomerId,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<Vec<Ticket>, DbError> {
    let mut query = tickets::table
        .filter(tickets::customer_id.eq(id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(
            tickets::created_at
                .lt(after.created_at)
                .or(tickets::created_at
                    .eq(after.created_at)
                    .and(tickets::id.lt(TicketId(after.id)))),
        );
    }
    Ok(query
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(limit)
        .select(Ticket::as_select())
        .load(conn)?)
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
    let accounts: HashMap<LedgerAccountId, (String, AccountKind, Option<CustomerId>)> =
        ledger_accounts::table
            .filter(ledger_accounts::id.eq_any(&account_ids))
            .select((
                ledger_accounts::id,
                ledger_accounts::code,
                ledger_accounts::kind,
                ledger_accounts::customer_id,
            ))
            .load::<(LedgerAccountId, String, AccountKind, Option<CustomerId>)>(conn)?
            .into_iter()
            .map(|(id, code, kind, owner)| (id, (code, kind, owner)))
            .collect();
    let mut people: Vec<CustomerId> = accounts
        .values()
        .filter_map(|(_, _, owner)| *owner)
        .collect();
    people.push(transaction.customer_id);
    people.extend(transaction.counterparty_customer_id);
    let names: HashMap<CustomerId, String> = customers::table
        .filter(customers::id.eq_any(&people))
        .select((customers::id, customers::name))
        .load::<(CustomerId, String)>(conn)?
        .into_iter()
        .collect();
    let party = |id: CustomerId| Party {
        id,
        name: names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
    };
    let label = |id: LedgerAccountId| match accounts.get(&id) {
        Some((code, kind, owner)) => AccountLabel {
            code: code.clone(),
            kind: *kind,
            owner: owner.map(party),
        },
        None => AccountLabel {
            code: id.to_string(),
            kind: AccountKind::CustomerWallet,
            owner: None,
        },
    };
    // The seller is whoever's wallet funded the trade's escrow.
    let seller = (transaction.kind == TransactionKind::P2pTrade)
        .then(|| {
            transfers
                .iter()
                .find(|t| t.kind == TransferKind::TradeEscrow)
                .and_then(|t| accounts.get(&t.debit_account_id))
                .and_then(|(_, _, owner)| *owner)
        })
        .flatten();
    let buyer = seller.and_then(|seller| {
        [
            Some(transaction.customer_id),
            transaction.counterparty_customer_id,
        ]
        .into_iter()
        .flatten()
        .find(|id| *id != seller)
    });
    let original = match transaction.original_transaction_id {
        Some(id) => Transaction::find(conn, id)?,
        None => None,
    };
    let refunds = transactions::table
        .filter(transactions::original_transaction_id.eq(transaction.id))
        .order((transactions::created_at.desc(), transactions::id.desc()))
        .limit(REFUND_ROWS)
        .select(Transaction::as_select())
        .load(conn)?;
    Ok(TransactionPanel {
        amount: Money::from_minor(transaction.amount_minor, transaction.currency),
        customer: party(transaction.customer_id),
        counterparty: transaction.counterparty_customer_id.map(party),
        seller: seller.map(party),
        buyer: buyer.map(party),
        original,
        refunds,
        transfers: transfers
            .into_iter()
            .map(|transfer| TransferLine {
                debit: label(transfer.debit_account_id),
                credit: label(transfer.credit_account_id),
                amount: Money::from_minor(transfer.amount_minor, transfer.currency),
                transfer,
            })
            .collect(),
        transaction,
    })
}

/// How ledger accounts named by code read on a page: kind and owner,
/// whether or not the account has been opened yet.
pub fn account_labels(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<HashMap<String, AccountLabel>, DbError> {
    let parsed: Vec<(String, AccountKind, Option<CustomerId>)> = codes
        .iter()
        .filter_map(|code| {
            let (kind, owner) = crate::ledger::parse_account_code(code)?;
            Some((code.clone(), kind, owner))
        })
        .collect();
    let owners: Vec<CustomerId> = parsed.iter().filter_map(|(_, _, owner)| *owner).collect();
    let names: HashMap<CustomerId, String> = customers::table
        .filter(customers::id.eq_any(&owners))
        .select((customers::id, customers::name))
        .load::<(CustomerId, String)>(conn)?
        .into_iter()
        .collect();
    Ok(parsed
        .into_iter()
        .map(|(code, kind, owner)| {
            let owner = owner.map(|id| Party {
                id,
                name: names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            });
            (code.clone(), AccountLabel { code, kind, owner })
        })
        .collect())
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
    let Some(mut customer) = customer_panel(conn, ticket.customer_id)? else {
        return Ok(None);
    };
    // The ticket shown is always in its customer's list, even when older
    // than the newest few.
    if !customer.tickets.iter().any(|t| t.id == ticket.id) {
        customer.tickets.push(ticket.clone());
    }
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
    let mut files: Vec<AttachmentLine> = attachments::table
        .filter(attachments::ticket_id.eq(id))
        .order(attachments::id)
        .limit(TIMELINE_ROWS)
        .select((
            attachments::id,
            attachments::event_id,
            attachments::original_name,
            attachments::content_type,
            attachments::size_bytes,
            attachments::sha256,
        ))
        .load(conn)?;
    let timeline = events
        .into_iter()
        .map(|event| TimelineEntry {
            who: match (event.actor, event.agent_id.and_then(|id| names.get(&id))) {
                (_, Some(name)) => Some(name.clone()),
                (Actor::Customer, None) => Some(customer.customer.name.clone()),
                (_, None) => None,
            },
            files: {
                let (mine, others) = files.drain(..).partition(|f| f.event_id == Some(event.id));
                files = others;
                mine
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

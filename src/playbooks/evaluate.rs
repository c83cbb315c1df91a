//! Evaluating a ticket's playbook: the facts it needs are read once, in a
//! bounded number of index look-ups whatever the size of the database, and
//! each step is then judged from them, with its evidence in figures and
//! dates.

use super::{Check, Playbook, Step, StepKind};
use crate::db::models::{Customer, LedgerTransfer, Ticket, Transaction};
use crate::db::schema::{ledger_accounts, ledger_transfers, playbook_step_states, transactions};
use crate::db::{DbConnection, DbError};
use crate::domain::*;
use crate::i18n::{self, Lang};
use crate::tickets::sla::BusinessCalendar;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;

/// Refunds reach the user within 3 to 5 business days.
pub const REFUND_DAYS: (u32, u32) = (3, 5);
/// Withdrawals take 1 to 3 business days; after 48 hours the user should
/// hear from us.
pub const WITHDRAWAL_DAYS: (u32, u32) = (1, 3);
pub const WITHDRAWAL_CONTACT_HOURS: i64 = 48;
/// A seller who has been paid normally releases the coins within this.
pub const RELEASE_MINUTES: i64 = 30;
/// How far back cancellations count, and how many make a pattern.
pub const CANCELLATION_DAYS: i64 = 7;
pub const CANCELLATIONS_OF_CONCERN: i64 = 5;
/// Bounds on what one evaluation reads.
const MAX_TRANSFERS: i64 = 50;
const MAX_REFUNDS: i64 = 20;
const MAX_COUNTED: i64 = 100;

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum StepState {
    /// Checked, and it supports going on.
    Passed,
    /// Checked, and it does not.
    Failed,
    /// Not yet: waiting for time to pass, for an agent, or for the steps a
    /// remedy depends on.
    Pending,
    /// An agent skipped it, saying why.
    Skipped,
    /// This ticket has nothing it could check.
    NotApplicable,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A step with its state and what showed it.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub step: &'static Step,
    pub state: StepState,
    pub evidence: Option<String>,
    /// Remedies: the steps still missing before it may run.
    pub waiting_for: Vec<&'static str>,
}

/// A manual step as an agent marked it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Marked {
    pub step_key: String,
    pub state: String,
    pub note: Option<String>,
    pub agent_id: Option<AgentId>,
    pub updated_at: NaiveDateTime,
}

/// What the steps are judged on.
#[derive(Debug, Clone)]
pub struct Facts {
    pub customer: Customer,
    pub transaction: Option<Transaction>,
    /// The linked transaction's transfers, oldest first.
    pub transfers: Vec<LedgerTransfer>,
    /// Refunds of the linked payment, newest first.
    pub refunds: Vec<Transaction>,
    /// The customer's cancelled payments in the last week (capped).
    pub recent_cancellations: i64,
    /// Who funds the linked trade's escrow: its seller.
    pub seller: Option<CustomerId>,
    /// The other side of the linked trade or transfer, when it is a customer.
    pub counterparty: Option<Customer>,
    /// What the customer's wallet in the transaction's currency can send.
    pub available: Option<i64>,
    pub marked: HashMap<String, Marked>,
    /// The names of the agents who marked steps.
    pub markers: HashMap<AgentId, String>,
    /// The ticket's remedies, newest first.
    pub remedies: Vec<TicketRemedy>,
}

/// A remedy proposed on the ticket, as its playbook step shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRemedy {
    pub id: RemedyId,
    pub kind: String,
    pub status: String,
    pub amount: Option<Money>,
    pub at: NaiveDateTime,
    pub failure: Option<String>,
}

impl Facts {
    /// Reads what a ticket's playbook needs (see `load_many`).
    pub fn load(
        conn: &mut DbConnection,
        ticket: &Ticket,
        now: NaiveDateTime,
    ) -> Result<Option<Facts>, DbError> {
        Ok(Facts::load_many(conn, std::slice::from_ref(ticket), now)?.remove(&ticket.id))
    }

    /// Reads what the playbooks of `tickets` need in a fixed number of
    /// queries, each an index look-up by the tickets', customers' or
    /// transactions' ids, each list capped: a queue page of tickets costs
    /// the same as one.
    pub fn load_many(
        conn: &mut DbConnection,
        tickets: &[Ticket],
        now: NaiveDateTime,
    ) -> Result<HashMap<TicketId, Facts>, DbError> {
        use crate::db::schema::{agents, customers};
        let mut facts = HashMap::new();
        if tickets.is_empty() {
            return Ok(facts);
        }
        let count = tickets.len() as i64;
        let ticket_ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
        let mut customer_ids: Vec<CustomerId> = tickets.iter().map(|t| t.customer_id).collect();
        customer_ids.sort_unstable();
        customer_ids.dedup();
        let tx_ids: Vec<TransactionId> = tickets.iter().filter_map(|t| t.transaction_id).collect();

        let mut people: HashMap<CustomerId, Customer> = customers::table
            .filter(customers::id.eq_any(&customer_ids))
            .select(Customer::as_select())
            .load::<Customer>(conn)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let txs: HashMap<TransactionId, Transaction> = if tx_ids.is_empty() {
            HashMap::new()
        } else {
            transactions::table
                .filter(transactions::id.eq_any(&tx_ids))
                .select(Transaction::as_select())
                .load::<Transaction>(conn)?
                .into_iter()
                .map(|t| (t.id, t))
                .collect()
        };
        let transfers: Vec<LedgerTransfer> = if tx_ids.is_empty() {
            Vec::new()
        } else {
            ledger_transfers::table
                .filter(ledger_transfers::transaction_id.eq_any(&tx_ids))
                .order(ledger_transfers::id)
                .limit(MAX_TRANSFERS * count)
                .select(LedgerTransfer::as_select())
                .load(conn)?
        };
        let payments: Vec<TransactionId> = txs
            .values()
            .filter(|t| t.kind == TransactionKind::Payment)
            .map(|t| t.id)
            .collect();
        let refunds: Vec<Transaction> = if payments.is_empty() {
            Vec::new()
        } else {
            transactions::table
                .filter(transactions::original_transaction_id.eq_any(&payments))
                .filter(transactions::kind.eq(TransactionKind::Refund))
                .order(transactions::id.desc())
                .limit(MAX_REFUNDS * count)
                .select(Transaction::as_select())
                .load(conn)?
        };
        let since = now - Duration::days(CANCELLATION_DAYS);
        let cancelled: Vec<CustomerId> = transactions::table
            .filter(transactions::customer_id.eq_any(&customer_ids))
            .filter(transactions::created_at.ge(since))
            .filter(transactions::kind.eq(TransactionKind::Payment))
            .filter(transactions::status.eq(TransactionStatus::Cancelled))
            .select(transactions::customer_id)
            .limit(MAX_COUNTED * count)
            .load(conn)?;
        #[allow(clippy::type_complexity)]
        let marks: Vec<(
            TicketId,
            String,
            String,
            Option<String>,
            Option<AgentId>,
            NaiveDateTime,
        )> = playbook_step_states::table
            .filter(playbook_step_states::ticket_id.eq_any(&ticket_ids))
            .select((
                playbook_step_states::ticket_id,
                playbook_step_states::step_key,
                playbook_step_states::state,
                playbook_step_states::note,
                playbook_step_states::agent_id,
                playbook_step_states::updated_at,
            ))
            .limit(MAX_COUNTED * count)
            .load(conn)?;
        #[allow(clippy::type_complexity)]
        let remedy_rows: Vec<(
            RemedyId,
            Option<TicketId>,
            String,
            String,
            Option<i64>,
            Option<Currency>,
            NaiveDateTime,
            Option<NaiveDateTime>,
            Option<String>,
        )> = {
            use crate::db::schema::remedies;
            remedies::table
                .filter(remedies::ticket_id.eq_any(&ticket_ids))
                .order(remedies::id.desc())
                .limit(MAX_COUNTED * count)
                .select((
                    remedies::id,
                    remedies::ticket_id,
                    remedies::kind,
                    remedies::status,
                    remedies::amount_minor,
                    remedies::currency,
                    remedies::proposed_at,
                    remedies::executed_at,
                    remedies::failure,
                ))
                .load(conn)?
        };
        let marker_ids: Vec<AgentId> = marks.iter().filter_map(|m| m.4).collect();
        let markers: HashMap<AgentId, String> = if marker_ids.is_empty() {
            HashMap::new()
        } else {
            agents::table
                .filter(agents::id.eq_any(marker_ids))
                .select((agents::id, agents::name))
                .load::<(AgentId, String)>(conn)?
                .into_iter()
                .collect()
        };

        for ticket in tickets {
            let Some(customer) = people.get(&ticket.customer_id).cloned() else {
                continue;
            };
            let transaction = ticket.transaction_id.and_then(|id| txs.get(&id).cloned());
            let tx_id = transaction.as_ref().map(|t| t.id);
            facts.insert(
                ticket.id,
                Facts {
                    recent_cancellations: cancelled.iter().filter(|c| **c == customer.id).count()
                        as i64,
                    customer,
                    transfers: transfers
                        .iter()
                        .filter(|t| t.transaction_id.is_some() && t.transaction_id == tx_id)
                        .cloned()
                        .collect(),
                    refunds: refunds
                        .iter()
                        .filter(|r| {
                            r.original_transaction_id.is_some()
                                && r.original_transaction_id == tx_id
                        })
                        .take(MAX_REFUNDS as usize)
                        .cloned()
                        .collect(),
                    transaction,
                    seller: None,
                    counterparty: None,
                    available: None,
                    marked: marks
                        .iter()
                        .filter(|m| m.0 == ticket.id)
                        .map(|m| {
                            (
                                m.1.clone(),
                                Marked {
                                    step_key: m.1.clone(),
                                    state: m.2.clone(),
                                    note: m.3.clone(),
                                    agent_id: m.4,
                                    updated_at: m.5,
                                },
                            )
                        })
                        .collect(),
                    markers: markers.clone(),
                    remedies: remedy_rows
                        .iter()
                        .filter(|r| r.1 == Some(ticket.id))
                        .map(|r| TicketRemedy {
                            id: r.0,
                            kind: r.2.clone(),
                            status: r.3.clone(),
                            amount: r.4.zip(r.5).map(|(minor, c)| Money::from_minor(minor, c)),
                            at: r.7.unwrap_or(r.6),
                            failure: r.8.clone(),
                        })
                        .collect(),
                },
            );
        }

        // Who funds each trade's escrow, the other sides, and the wallets.
        let escrow_accounts: Vec<LedgerAccountId> = facts
            .values()
            .filter_map(|f| {
                f.open_hold(TransferKind::TradeEscrow)
                    .map(|h| h.debit_account_id)
            })
            .collect();
        let owners: HashMap<LedgerAccountId, Option<CustomerId>> = if escrow_accounts.is_empty() {
            HashMap::new()
        } else {
            ledger_accounts::table
                .filter(ledger_accounts::id.eq_any(&escrow_accounts))
                .select((ledger_accounts::id, ledger_accounts::customer_id))
                .load::<(LedgerAccountId, Option<CustomerId>)>(conn)?
                .into_iter()
                .collect()
        };
        let others: Vec<CustomerId> = facts
            .values()
            .filter_map(|f| f.other_side())
            .filter(|id| !people.contains_key(id))
            .collect();
        if !others.is_empty() {
            people.extend(
                customers::table
                    .filter(customers::id.eq_any(&others))
                    .select(Customer::as_select())
                    .load::<Customer>(conn)?
                    .into_iter()
                    .map(|c| (c.id, c)),
            );
        }
        let wallets: Vec<String> = facts.values().filter_map(Facts::wallet_code).collect();
        let available: HashMap<String, i64> = if wallets.is_empty() {
            HashMap::new()
        } else {
            ledger_accounts::table
                .filter(ledger_accounts::code.eq_any(&wallets))
                .select((
                    ledger_accounts::code,
                    ledger_accounts::credits_posted,
                    ledger_accounts::debits_posted,
                    ledger_accounts::debits_pending,
                ))
                .load::<(String, i64, i64, i64)>(conn)?
                .into_iter()
                .map(|(code, credits, debits, held)| (code, credits - debits - held))
                .collect()
        };
        for f in facts.values_mut() {
            f.seller = f
                .open_hold(TransferKind::TradeEscrow)
                .and_then(|hold| owners.get(&hold.debit_account_id).copied().flatten());
            f.counterparty = f.other_side().and_then(|id| people.get(&id).cloned());
            f.available = f
                .wallet_code()
                .and_then(|code| available.get(&code).copied());
        }
        Ok(facts)
    }

    /// The other customer of the linked trade or transfer.
    fn other_side(&self) -> Option<CustomerId> {
        let tx = self.transaction.as_ref()?;
        [Some(tx.customer_id), tx.counterparty_customer_id]
            .into_iter()
            .flatten()
            .find(|id| *id != self.customer.id)
    }

    /// The code of the customer's wallet in the linked transaction's currency.
    fn wallet_code(&self) -> Option<String> {
        let tx = self.transaction.as_ref()?;
        Some(crate::ledger::account_code(
            AccountKind::CustomerWallet,
            Some(self.customer.id),
            tx.currency,
        ))
    }

    /// The linked transaction's hold of `kind` that nothing resolved yet.
    fn open_hold(&self, kind: TransferKind) -> Option<&LedgerTransfer> {
        self.transfers.iter().find(|hold| {
            hold.kind == kind
                && hold.phase == TransferPhase::Pending
                && !self
                    .transfers
                    .iter()
                    .any(|other| other.pending_id == Some(hold.id))
        })
    }

    fn posted(&self, kind: TransferKind) -> Option<&LedgerTransfer> {
        self.transfers
            .iter()
            .find(|t| t.kind == kind && t.phase == TransferPhase::Posted)
    }

    /// The buyer of the linked trade: the side that did not fund it.
    fn buyer(&self) -> Option<&Customer> {
        let seller = self.seller?;
        if self.customer.id != seller {
            Some(&self.customer)
        } else {
            self.counterparty.as_ref()
        }
    }
}

/// How the texts of a step's evidence are written.
struct Writer<'a> {
    lang: Lang,
    calendar: &'a BusinessCalendar,
    now: NaiveDateTime,
}

impl Writer<'_> {
    fn say(&self, key: &str, values: &[(&'static str, String)]) -> Option<String> {
        Some(i18n::text_with(self.lang, key, values))
    }

    fn date(&self, at: NaiveDateTime) -> String {
        self.calendar.local(at).format("%Y-%m-%d").to_string()
    }

    fn time(&self, at: NaiveDateTime) -> String {
        self.calendar.local(at).format("%Y-%m-%d %H:%M").to_string()
    }

    fn word(&self, group: &str, code: &str) -> String {
        i18n::text(self.lang, &format!("{group}-{}", code.replace('_', "-")))
    }

    fn hours_since(&self, at: NaiveDateTime) -> i64 {
        (self.now - at).num_hours().max(0)
    }
}

fn money(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).to_string()
}

/// Judges every step of `playbook` from `facts`.
pub fn evaluate(
    playbook: &'static Playbook,
    facts: &Facts,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
    lang: Lang,
) -> Vec<Evaluated> {
    let writer = Writer {
        lang,
        calendar,
        now,
    };
    let mut done: Vec<Evaluated> = Vec::with_capacity(playbook.steps.len());
    for step in playbook.steps {
        let (state, evidence, waiting_for) = match step.kind {
            StepKind::Auto(check) => {
                let (state, evidence) = judge(check, facts, &writer);
                (state, evidence, Vec::new())
            }
            StepKind::Manual => {
                let (state, evidence) = marked(step, facts, &writer);
                (state, evidence, Vec::new())
            }
            StepKind::Remedy(kind) => {
                let waiting_for: Vec<&'static str> = step
                    .depends_on
                    .iter()
                    .copied()
                    .filter(|key| {
                        !done
                            .iter()
                            .any(|e| e.step.key == *key && e.state == StepState::Passed)
                    })
                    .collect();
                let (state, evidence) = remedy_state(kind, facts, &writer);
                (state, evidence, waiting_for)
            }
        };
        done.push(Evaluated {
            step,
            state,
            evidence,
            waiting_for,
        });
    }
    done
}

/// A remedy step's state from the ticket's remedies of its kind: done,
/// waiting for approval, rejected, or not yet proposed.
fn remedy_state(
    kind: super::RemedyKind,
    facts: &Facts,
    w: &Writer<'_>,
) -> (StepState, Option<String>) {
    let code: &'static str = kind.into();
    let mine: Vec<&TicketRemedy> = facts.remedies.iter().filter(|r| r.kind == code).collect();
    let amount = |r: &TicketRemedy| {
        r.amount
            .map(|m| m.to_string())
            .unwrap_or_else(|| "—".into())
    };
    if let Some(done) = mine.iter().find(|r| r.status == "executed") {
        let values = [("at", w.time(done.at)), ("amount", amount(done))];
        return (StepState::Passed, w.say("ev-remedy-done", &values));
    }
    match mine.first() {
        Some(r) if r.status == "proposed" || r.status == "approved" => (
            StepState::Pending,
            w.say(
                "ev-remedy-awaiting",
                &[("at", w.time(r.at)), ("amount", amount(r))],
            ),
        ),
        Some(r) if r.status == "rejected" => (
            StepState::Failed,
            w.say(
                "ev-remedy-rejected",
                &[
                    ("at", w.time(r.at)),
                    (
                        "reason",
                        r.failure
                            .as_deref()
                            .map_or_else(|| "—".into(), |f| i18n::failure_reason(w.lang, f)),
                    ),
                ],
            ),
        ),
        _ => (StepState::Pending, None),
    }
}

fn marked(step: &Step, facts: &Facts, w: &Writer<'_>) -> (StepState, Option<String>) {
    let Some(marked) = facts.marked.get(step.key) else {
        return (StepState::Pending, None);
    };
    let state = match marked.state.as_str() {
        "passed" => StepState::Passed,
        "failed" => StepState::Failed,
        "skipped" => StepState::Skipped,
        _ => StepState::Pending,
    };
    let who = marked
        .agent_id
        .and_then(|id| facts.markers.get(&id).cloned())
        .unwrap_or_else(|| "—".into());
    let mut values = vec![("who", who), ("at", w.time(marked.updated_at))];
    let evidence = match &marked.note {
        Some(note) => {
            values.push(("note", note.clone()));
            w.say("ev-marked-note", &values)
        }
        None => w.say("ev-marked", &values),
    };
    (state, evidence)
}

fn judge(check: Check, facts: &Facts, w: &Writer<'_>) -> (StepState, Option<String>) {
    use StepState::*;
    let customer = &facts.customer;
    let account = || {
        (
            w.word("account-state", customer.status.as_str()),
            customer
                .status_changed_at
                .map(|at| w.date(at))
                .unwrap_or_else(|| "—".into()),
            customer
                .status_reason
                .map(|reason| w.word("reason", reason.as_str()))
                .unwrap_or_else(|| "—".into()),
        )
    };
    match check {
        Check::AccountNormal => {
            if customer.status == CustomerStatus::Active {
                return (Passed, w.say("ev-account-active", &[]));
            }
            let (status, since, reason) = account();
            (
                Failed,
                w.say(
                    "ev-account-not-active",
                    &[("status", status), ("since", since), ("reason", reason)],
                ),
            )
        }
        Check::FreezeReason => {
            let (status, since, reason) = account();
            if customer.status == CustomerStatus::Frozen {
                (
                    Passed,
                    w.say("ev-frozen", &[("since", since), ("reason", reason)]),
                )
            } else {
                (Failed, w.say("ev-not-frozen", &[("status", status)]))
            }
        }
        Check::LockConfirmed => {
            let (status, since, _) = account();
            if customer.status == CustomerStatus::Locked {
                (Passed, w.say("ev-locked", &[("since", since)]))
            } else {
                (Failed, w.say("ev-not-locked", &[("status", status)]))
            }
        }
        Check::RecentCancellations => {
            let count = facts.recent_cancellations;
            let values = [
                ("count", count.to_string()),
                ("days", CANCELLATION_DAYS.to_string()),
            ];
            let state = if count >= CANCELLATIONS_OF_CONCERN {
                Failed
            } else {
                Passed
            };
            (state, w.say("ev-cancellations", &values))
        }
        _ => {
            let Some(tx) = &facts.transaction else {
                return (NotApplicable, w.say("ev-no-transaction", &[]));
            };
            judge_transaction(check, tx, facts, w)
        }
    }
}

/// The checks of the linked transaction.
fn judge_transaction(
    check: Check,
    tx: &Transaction,
    facts: &Facts,
    w: &Writer<'_>,
) -> (StepState, Option<String>) {
    use StepState::*;
    use TransactionKind as K;
    use TransactionStatus as S;
    let amount = money(tx.amount_minor, tx.currency);
    let status = w.word("tx-status", tx.status.as_str());
    let basics = || {
        vec![
            ("reference", tx.reference.clone()),
            ("amount", amount.clone()),
            ("status", status.clone()),
            ("at", w.time(tx.created_at)),
        ]
    };
    let wrong_kind = |expected: K| {
        (
            NotApplicable,
            w.say(
                "ev-wrong-kind",
                &[
                    ("reference", tx.reference.clone()),
                    ("kind", w.word("tx-kind", tx.kind.as_str())),
                    ("expected", w.word("tx-kind", expected.as_str())),
                ],
            ),
        )
    };
    match check {
        Check::PaymentCancelled => {
            if tx.kind != K::Payment {
                return wrong_kind(K::Payment);
            }
            // Once this ticket's own refund ran, the payment is refunded
            // rather than cancelled; the cancellation was checked before.
            let refunded_here = facts
                .remedies
                .iter()
                .any(|r| r.kind == "refund" && r.status == "executed");
            let state = if tx.status == S::Cancelled
                || (refunded_here && matches!(tx.status, S::PartiallyRefunded | S::Refunded))
            {
                Passed
            } else {
                Failed
            };
            (state, w.say("ev-payment-status", &basics()))
        }
        Check::PaymentCharged => {
            if tx.kind != K::Payment {
                return wrong_kind(K::Payment);
            }
            match facts.posted(TransferKind::Payment) {
                Some(charge) => (
                    Passed,
                    w.say(
                        "ev-charged",
                        &[
                            ("amount", money(charge.amount_minor, charge.currency)),
                            ("at", w.time(charge.created_at)),
                        ],
                    ),
                ),
                None => (
                    Failed,
                    w.say("ev-not-charged", &[("reference", tx.reference.clone())]),
                ),
            }
        }
        Check::RefundIssued | Check::RefundWindow => {
            if tx.kind != K::Payment {
                return wrong_kind(K::Payment);
            }
            let counted = facts
                .refunds
                .iter()
                .find(|r| Transaction::counts_as_refunded(r.status));
            let Some(refund) = counted else {
                let state = if check == Check::RefundIssued {
                    Failed
                } else {
                    NotApplicable
                };
                return (
                    state,
                    w.say("ev-no-refund", &[("reference", tx.reference.clone())]),
                );
            };
            let issued = refund.created_at;
            let days = w.calendar.business_days_between(issued, w.now);
            if check == Check::RefundIssued {
                return (
                    Passed,
                    w.say(
                        "ev-refund-issued",
                        &[
                            ("reference", refund.reference.clone()),
                            ("amount", money(refund.amount_minor, refund.currency)),
                            ("date", w.date(issued)),
                            ("days", days.to_string()),
                            ("status", w.word("tx-status", refund.status.as_str())),
                        ],
                    ),
                );
            }
            let (soonest, latest) = REFUND_DAYS;
            let values = vec![
                (
                    "from",
                    w.calendar.add_business_days(issued, soonest).to_string(),
                ),
                (
                    "to",
                    w.calendar.add_business_days(issued, latest).to_string(),
                ),
                ("days", days.to_string()),
            ];
            if refund.status == S::Completed {
                (Failed, w.say("ev-refund-arrived", &values))
            } else if days > i64::from(latest) {
                (Passed, w.say("ev-refund-overdue", &values))
            } else {
                (Pending, w.say("ev-refund-expected", &values))
            }
        }
        Check::EscrowHeld => {
            if tx.kind != K::P2pTrade {
                return wrong_kind(K::P2pTrade);
            }
            match facts.open_hold(TransferKind::TradeEscrow) {
                Some(hold) => (
                    Passed,
                    w.say(
                        "ev-escrow-held",
                        &[
                            ("amount", money(hold.amount_minor, hold.currency)),
                            ("since", w.time(hold.created_at)),
                            (
                                "held",
                                i18n::duration(w.lang, (w.now - hold.created_at).num_minutes()),
                            ),
                        ],
                    ),
                ),
                None => (Failed, w.say("ev-no-escrow", &basics())),
            }
        }
        Check::ReleaseDelay => {
            if tx.kind != K::P2pTrade {
                return wrong_kind(K::P2pTrade);
            }
            if tx.status != S::AwaitingRelease && tx.status != S::Pending {
                return (NotApplicable, w.say("ev-trade-settled", &basics()));
            }
            let minutes = (w.now - tx.created_at).num_minutes().max(0);
            let values = vec![
                ("paid", i18n::duration(w.lang, minutes)),
                ("expected", i18n::duration(w.lang, RELEASE_MINUTES)),
            ];
            if minutes > RELEASE_MINUTES {
                (Passed, w.say("ev-release-late", &values))
            } else {
                (Pending, w.say("ev-release-within", &values))
            }
        }
        Check::BuyerNotFrozen => {
            if tx.kind != K::P2pTrade {
                return wrong_kind(K::P2pTrade);
            }
            match facts.buyer() {
                Some(buyer) if buyer.status == CustomerStatus::Frozen => (
                    Failed,
                    w.say("ev-buyer-frozen", &[("name", buyer.name.clone())]),
                ),
                Some(buyer) => (
                    Passed,
                    w.say("ev-buyer-active", &[("name", buyer.name.clone())]),
                ),
                None => (NotApplicable, w.say("ev-no-escrow", &basics())),
            }
        }
        Check::TopUpFailed => {
            if tx.kind != K::TopUp {
                return wrong_kind(K::TopUp);
            }
            let state = if tx.status == S::Failed {
                Passed
            } else {
                Failed
            };
            let mut values = basics();
            values.push((
                "reason",
                tx.failure_reason
                    .as_deref()
                    .map_or_else(|| "—".into(), |f| i18n::failure_reason(w.lang, f)),
            ));
            (state, w.say("ev-top-up-status", &values))
        }
        Check::NoWalletCredit => {
            if tx.kind != K::TopUp {
                return wrong_kind(K::TopUp);
            }
            match facts.transfers.first() {
                None => (
                    Passed,
                    w.say("ev-no-credit", &[("reference", tx.reference.clone())]),
                ),
                Some(credit) => (
                    Failed,
                    w.say(
                        "ev-credited",
                        &[
                            ("amount", money(credit.amount_minor, credit.currency)),
                            ("at", w.time(credit.created_at)),
                        ],
                    ),
                ),
            }
        }
        Check::WithdrawalPending | Check::WithdrawalAge => {
            if tx.kind != K::Withdrawal {
                return wrong_kind(K::Withdrawal);
            }
            let held = facts.open_hold(TransferKind::Withdrawal);
            if check == Check::WithdrawalPending {
                return match (tx.status, held) {
                    (S::Pending, Some(_)) => (Passed, w.say("ev-withdrawal-pending", &basics())),
                    _ => (Failed, w.say("ev-withdrawal-not-pending", &basics())),
                };
            }
            if tx.status != S::Pending {
                return (NotApplicable, w.say("ev-withdrawal-not-pending", &basics()));
            }
            let (_, latest) = WITHDRAWAL_DAYS;
            let hours = w.hours_since(tx.created_at);
            let days = w.calendar.business_days_between(tx.created_at, w.now);
            let values = vec![
                ("hours", hours.to_string()),
                ("days", days.to_string()),
                (
                    "by",
                    w.calendar
                        .add_business_days(tx.created_at, latest)
                        .to_string(),
                ),
            ];
            if hours > WITHDRAWAL_CONTACT_HOURS || days > i64::from(latest) {
                (Passed, w.say("ev-withdrawal-late", &values))
            } else {
                (Pending, w.say("ev-withdrawal-within", &values))
            }
        }
        Check::TradeOpen => {
            if tx.kind != K::P2pTrade {
                return wrong_kind(K::P2pTrade);
            }
            let state = if matches!(tx.status, S::Pending | S::AwaitingRelease) {
                Passed
            } else {
                Failed
            };
            (state, w.say("ev-trade-status", &basics()))
        }
        Check::Balance => {
            let Some(available) = facts.available else {
                return (NotApplicable, w.say("ev-no-wallet", &[]));
            };
            let values = vec![
                ("available", money(available, tx.currency)),
                ("amount", amount.clone()),
            ];
            if available < tx.amount_minor {
                (Passed, w.say("ev-balance-short", &values))
            } else {
                (Failed, w.say("ev-balance-enough", &values))
            }
        }
        // The customer's own checks are judged in `judge`.
        Check::AccountNormal
        | Check::FreezeReason
        | Check::LockConfirmed
        | Check::RecentCancellations => (NotApplicable, None),
    }
}

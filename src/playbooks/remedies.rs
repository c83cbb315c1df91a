//! Remedies from the ticket page: what a remedy step would do to the ledger
//! (shown before the agent confirms), and proposing it, which executes it at
//! once unless it needs a second person's approval. The money moves through
//! `ledger::remedies` with the remedy's own idempotency key, so a double
//! click, a resubmitted form or two agents at once move it once.

use super::evaluate::{Facts, evaluate};
use super::{RemedyKind, Step, StepKind, for_category};
use crate::audit::{self, AuditEntry};
use crate::db::models::{LedgerAccount, Ticket, Transaction};
use crate::db::schema::{approval_thresholds, ledger_accounts, remedies, ticket_events};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::text::{self};
use crate::domain::*;
use crate::i18n::{Lang, Message};
use crate::ledger::remedies::{
    self as ledger, RemedyContext, RemedyError, StatusChange, open_hold, refundable,
};
use crate::ledger::{LedgerError, Totals, account_code, external_account};
use crate::mail::letters;
use crate::mail::outbox::{self, OutgoingMail};
use crate::tickets::service::{Actor, TicketError, no_step, refusal};
use crate::tickets::sla::BusinessCalendar;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// Longest reason given for a remedy.
pub const MAX_REASON_CHARS: usize = 500;

/// One line of a remedy's ledger effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectLine {
    pub account: String,
    /// `debit` (money leaves) or `credit` (money arrives).
    pub side: &'static str,
    pub amount: Money,
    /// What the account can use afterwards: its balance less its holds.
    pub available_after: Money,
    /// How the account reads on a page (kind and owner).
    pub label: Option<crate::tickets::view::AccountLabel>,
}

/// What a remedy will do, before it is confirmed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: RemedyKind,
    pub step: &'static Step,
    pub transaction: Option<Transaction>,
    pub amount: Option<Money>,
    pub lines: Vec<EffectLine>,
    /// Unfreeze and unlock change the account's status, not its money.
    pub status_change: Option<(CustomerStatus, CustomerStatus)>,
    pub requires_approval: bool,
    /// A reissue: the overdue pending refund it gives up.
    pub reissue_of: Option<Transaction>,
    /// When money sent now should show at the latest (refunds take up to
    /// five business days), as a date in the business calendar's zone.
    pub arrives_by: chrono::NaiveDate,
}

/// What proposing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposed {
    Executed(RemedyId),
    AwaitingApproval(RemedyId),
    /// The same form again: the first submit's remedy answers.
    Repeated(RemedyId),
}

/// The ledger's refusal of a remedy, in the desk's words.
fn refused(error: RemedyError) -> TicketError {
    let status = |s: TransactionStatus| format!("tx-status-{}", s.as_str().replace('_', "-"));
    let kind = |k: TransactionKind| format!("tx-kind-{}", k.as_str().replace('_', "-"));
    match error {
        RemedyError::Ledger(LedgerError::Db(db)) => TicketError::Db(db),
        RemedyError::AlreadyRefunded {
            reference,
            paid,
            refunded,
        } => refusal(
            "refusal-already-refunded",
            &[
                ("reference", reference),
                ("paid", paid.to_string()),
                ("refunded", refunded.to_string()),
            ],
        ),
        RemedyError::ExceedsRefundable {
            reference,
            paid,
            refunded,
            refundable,
            asked,
        } => refusal(
            "refusal-exceeds-refundable",
            &[
                ("reference", reference),
                ("paid", paid.to_string()),
                ("refunded", refunded.to_string()),
                ("refundable", refundable.to_string()),
                ("asked", asked.to_string()),
            ],
        ),
        RemedyError::NothingCharged(reference) => {
            refusal("refusal-nothing-charged", &[("reference", reference)])
        }
        RemedyError::WrongKind {
            reference,
            kind: is,
            expected,
        } => TicketError::Refused(
            Message::new("ev-wrong-kind")
                .with("reference", reference)
                .with_word("kind", kind(is))
                .with_word("expected", kind(expected)),
        ),
        RemedyError::WrongStatus {
            reference,
            status: is,
            ..
        } => TicketError::Refused(
            Message::new("refusal-wrong-status")
                .with("reference", reference)
                .with_word("status", status(is)),
        ),
        RemedyError::NoHold(reference) => refusal("refusal-no-hold", &[("reference", reference)]),
        RemedyError::AlreadyCredited(reference) => {
            refusal("refusal-already-credited", &[("reference", reference)])
        }
        RemedyError::ChangedMeanwhile(reference) => {
            refusal("refusal-changed-meanwhile", &[("reference", reference)])
        }
        RemedyError::Ledger(LedgerError::InsufficientFunds {
            account,
            available,
            needed,
        }) => refusal(
            "refusal-insufficient-funds",
            &[
                ("account", account),
                ("available", available.to_string()),
                ("needed", needed.to_string()),
            ],
        ),
        RemedyError::Ledger(LedgerError::WalletFrozen(account)) => {
            refusal("refusal-wallet-frozen", &[("account", account)])
        }
        // The rest mean a fault rather than a state an agent can act on.
        other => {
            TicketError::Refused(Message::new("refusal-ledger").with("detail", other.to_string()))
        }
    }
}

fn available(account: &LedgerAccount) -> i64 {
    Totals {
        debits_posted: account.debits_posted,
        credits_posted: account.credits_posted,
        debits_pending: account.debits_pending,
        credits_pending: account.credits_pending,
    }
    .available()
}

fn account(conn: &mut DbConnection, id: LedgerAccountId) -> Result<LedgerAccount, TicketError> {
    ledger_accounts::table
        .find(id)
        .select(LedgerAccount::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| refusal("refusal-no-account", &[("account", id.to_string())]))
}

/// An account by code, as it is now (a zero account when not yet opened).
fn account_by_code(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<LedgerAccount>, TicketError> {
    Ok(ledger_accounts::table
        .filter(ledger_accounts::code.eq(code))
        .select(LedgerAccount::as_select())
        .first(conn)
        .optional()?)
}

/// A line moving `amount` out of (`debit`) or into an account.
fn line(code: String, now_available: i64, side: &'static str, amount: Money) -> EffectLine {
    let after = if side == "debit" {
        now_available - amount.minor()
    } else {
        now_available + amount.minor()
    };
    EffectLine {
        account: code,
        side,
        amount,
        available_after: Money::from_minor(after, amount.currency()),
        label: None,
    }
}

/// The remedy step `key` of the ticket's playbook, if the steps it depends
/// on have all passed; refused, naming what is missing, otherwise.
fn ready_step(
    conn: &mut DbConnection,
    ticket: &Ticket,
    key: &str,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
) -> Result<(&'static Step, RemedyKind, Facts), TicketError> {
    let playbook = for_category(ticket.category).ok_or_else(|| no_step(key))?;
    let step = playbook
        .steps
        .iter()
        .find(|step| step.key == key && matches!(step.kind, StepKind::Remedy(_)))
        .ok_or_else(|| no_step(key))?;
    let StepKind::Remedy(kind) = step.kind else {
        return Err(no_step(key));
    };
    let facts =
        Facts::load(conn, ticket, now)?.ok_or(TicketError::UnknownCustomer(ticket.customer_id))?;
    let evaluated = evaluate(playbook, &facts, calendar, now, Lang::En);
    let waiting = evaluated
        .iter()
        .find(|e| e.step.key == step.key)
        .map(|e| e.waiting_for.clone())
        .unwrap_or_default();
    if !waiting.is_empty() {
        let titles: Vec<String> = waiting
            .iter()
            .filter_map(|key| playbook.steps.iter().find(|s| s.key == *key))
            .map(|s| s.title(Lang::En))
            .collect();
        return Err(refusal(
            "refusal-remedy-waits",
            &[("steps", titles.join(", "))],
        ));
    }
    Ok((step, kind, facts))
}

/// Whether `money` is more than its currency's approval threshold: big
/// enough that a second person must approve moving it.
fn over_threshold(conn: &mut DbConnection, money: Money) -> Result<bool, DbError> {
    let limit: Option<i64> = approval_thresholds::table
        .find(money.currency())
        .select(approval_thresholds::amount_minor)
        .first(conn)
        .optional()?;
    Ok(limit.is_some_and(|limit| money.minor() > limit))
}

/// The priority a dispute starts with: what its playbook is about (locked
/// out or coins held weigh more than a declined payment), one step up
/// when the amount is over the approval threshold.
pub fn intake_priority(
    conn: &mut DbConnection,
    category: TicketCategory,
    amount: Option<Money>,
) -> Result<TicketPriority, DbError> {
    use TicketCategory::*;
    let base = match category {
        AccountFrozen | AccountLocked | PaidNotReleased | CounterpartyUnpaid => {
            TicketPriority::High
        }
        TransactionDeclined => TicketPriority::Low,
        PaymentCancelled | RefundNotReceived | TopUpFailed | WithdrawalDelayed | Other => {
            TicketPriority::Normal
        }
    };
    let big = match amount {
        Some(money) => over_threshold(conn, money)?,
        None => false,
    };
    Ok(match (base, big) {
        (priority, false) => priority,
        (TicketPriority::Low, true) => TicketPriority::Normal,
        (TicketPriority::Normal, true) => TicketPriority::High,
        (_, true) => TicketPriority::Urgent,
    })
}

/// Works out what the remedy step `key` would do now, refusing what cannot
/// run (the ledger's own checks: what is refundable, what is held).
pub fn plan(
    conn: &mut DbConnection,
    ticket: &Ticket,
    key: &str,
    amount: &str,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
) -> Result<Plan, TicketError> {
    let (step, kind, facts) = ready_step(conn, ticket, key, calendar, now)?;
    let code: &'static str = kind.into();
    if facts
        .remedies
        .iter()
        .any(|r| r.kind == code && r.status == "proposed")
    {
        return Err(refusal("refusal-kind-awaiting", &[]));
    }
    let customer = &facts.customer;
    let threshold =
        |conn: &mut DbConnection, money: Money| Ok::<_, TicketError>(over_threshold(conn, money)?);
    let mut plan = Plan {
        kind,
        step,
        transaction: facts.transaction.clone(),
        amount: None,
        lines: Vec::new(),
        status_change: None,
        requires_approval: false,
        reissue_of: None,
        arrives_by: calendar.add_business_days(now, super::evaluate::REFUND_DAYS.1),
    };
    let wallet_of = |conn: &mut DbConnection, customer: CustomerId, currency: Currency| {
        let code = account_code(AccountKind::CustomerWallet, Some(customer), currency);
        let now = account_by_code(conn, &code)?.map_or(0, |a| available(&a));
        Ok::<_, TicketError>((code, now))
    };
    match kind {
        RemedyKind::Unfreeze | RemedyKind::Unlock => {
            let (from, to) = match kind {
                RemedyKind::Unfreeze => (CustomerStatus::Frozen, CustomerStatus::Active),
                _ => (CustomerStatus::Locked, CustomerStatus::Active),
            };
            if customer.status != from {
                return Err(TicketError::Refused(
                    Message::new("refusal-account-status")
                        .with_word("status", format!("account-state-{}", customer.status))
                        .with_word("expected", format!("account-state-{from}")),
                ));
            }
            plan.status_change = Some((from, to));
            // Lifting a risk rule's freeze always takes a second person.
            plan.requires_approval = kind == RemedyKind::Unfreeze
                && customer.status_reason == Some(StatusReason::RiskRule);
        }
        _ => {
            let tx = facts
                .transaction
                .clone()
                .ok_or_else(|| refusal("ev-no-transaction", &[]))?;
            let money = match kind {
                RemedyKind::ReissueRefund => {
                    let overdue = facts
                        .refunds
                        .iter()
                        .find(|r| r.status == TransactionStatus::Pending)
                        .cloned()
                        .ok_or_else(|| {
                            refusal(
                                "refusal-no-pending-refund",
                                &[("reference", tx.reference.clone())],
                            )
                        })?;
                    let money = Money::from_minor(overdue.amount_minor, overdue.currency);
                    let source = ledger::refund_source(conn, &tx).map_err(refused)?;
                    let source = account(conn, source)?;
                    let (wallet, now) = wallet_of(conn, tx.customer_id, tx.currency)?;
                    // The old refund's hold, if any, comes back first.
                    let held = open_hold(conn, &overdue, TransferKind::Refund)
                        .map(|hold| hold.amount_minor)
                        .unwrap_or(0);
                    plan.lines = vec![
                        line(
                            source.code.clone(),
                            available(&source) + held,
                            "debit",
                            money,
                        ),
                        line(wallet, now, "credit", money),
                    ];
                    plan.reissue_of = Some(overdue);
                    money
                }
                RemedyKind::Refund => {
                    let asked = match amount.trim() {
                        "" => None,
                        text => Some(Money::parse(text, tx.currency).map_err(|e| {
                            TicketError::Refused(
                                Message::new("refusal-amount").with_message("problem", e.message()),
                            )
                        })?),
                    };
                    let fits = refundable(conn, &tx, asked).map_err(refused)?;
                    let source = account(conn, fits.source)?;
                    let (wallet, now) = wallet_of(conn, tx.customer_id, tx.currency)?;
                    plan.lines = vec![
                        line(
                            source.code.clone(),
                            available(&source),
                            "debit",
                            fits.amount,
                        ),
                        line(wallet, now, "credit", fits.amount),
                    ];
                    fits.amount
                }
                RemedyKind::Release
                | RemedyKind::ReturnToSeller
                | RemedyKind::ReverseWithdrawal => {
                    let hold_kind = match kind {
                        RemedyKind::ReverseWithdrawal => TransferKind::Withdrawal,
                        _ => TransferKind::TradeEscrow,
                    };
                    let hold = open_hold(conn, &tx, hold_kind).map_err(refused)?;
                    let held = Money::from_minor(hold.amount_minor, hold.currency);
                    let from = account(conn, hold.debit_account_id)?;
                    let to = account(conn, hold.credit_account_id)?;
                    if kind == RemedyKind::Release {
                        let buyer = [Some(tx.customer_id), tx.counterparty_customer_id]
                            .into_iter()
                            .flatten()
                            .find(|id| Some(*id) != from.customer_id)
                            .ok_or_else(|| {
                                refusal("refusal-no-buyer", &[("reference", tx.reference.clone())])
                            })?;
                        let (wallet, now) = wallet_of(conn, buyer, tx.currency)?;
                        // The seller's hold is posted to escrow, then paid on.
                        plan.lines = vec![
                            line(
                                from.code.clone(),
                                available(&from) + held.minor(),
                                "debit",
                                held,
                            ),
                            line(wallet, now, "credit", held),
                        ];
                    } else {
                        // Voiding the hold gives the sender back what it held.
                        plan.lines = vec![
                            line(
                                to.code.clone(),
                                available(&to),
                                "debit",
                                Money::from_minor(0, held.currency()),
                            ),
                            line(from.code.clone(), available(&from), "credit", held),
                        ];
                        plan.lines.remove(0);
                    }
                    held
                }
                RemedyKind::CreditTopUp => {
                    let money = Money::from_minor(tx.amount_minor, tx.currency);
                    let source_code = account_code(external_account(tx.method), None, tx.currency);
                    let source_now =
                        account_by_code(conn, &source_code)?.map_or(0, |a| available(&a));
                    let (wallet, now) = wallet_of(conn, tx.customer_id, tx.currency)?;
                    plan.lines = vec![
                        line(source_code, source_now, "debit", money),
                        line(wallet, now, "credit", money),
                    ];
                    money
                }
                RemedyKind::Unfreeze | RemedyKind::Unlock => {
                    return Err(refusal("refusal-no-money", &[]));
                }
            };
            // What this ticket's remedies of this kind already did counts
            // too: splitting a remedy does not slip under the threshold.
            let earlier: i64 = facts
                .remedies
                .iter()
                .filter(|r| r.kind == <&'static str>::from(kind) && r.status == "executed")
                .filter_map(|r| r.amount)
                .filter(|m| m.currency() == money.currency())
                .map(Money::minor)
                .sum();
            let total = Money::from_minor(money.minor().saturating_add(earlier), money.currency());
            plan.requires_approval = threshold(conn, total)?;
            plan.amount = Some(money);
        }
    }
    let codes: Vec<String> = plan.lines.iter().map(|l| l.account.clone()).collect();
    let labels = crate::tickets::view::account_labels(conn, &codes)?;
    for line in &mut plan.lines {
        line.label = labels.get(&line.account).cloned();
    }
    Ok(plan)
}

/// The remedy a form's key names, if it was proposed before.
/// A remedy already made from a form: its id and amount.
type FormRemedy = (RemedyId, Option<i64>, Option<Currency>);

fn by_key(conn: &mut DbConnection, key: &str) -> Result<Option<FormRemedy>, TicketError> {
    Ok(remedies::table
        .filter(remedies::idempotency_key.eq(key))
        .select((remedies::id, remedies::amount_minor, remedies::currency))
        .first(conn)
        .optional()?)
}

/// A proposal as the ticket page sends it.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub step: String,
    pub amount: String,
    pub reason: String,
    /// A random key the form carries: the same form submitted twice is one
    /// remedy.
    pub form_key: String,
    /// The newest remedy of the ticket when its page was shown (0: none):
    /// a proposal made on a page that is out of date is refused.
    pub after: i64,
}

/// Proposes the remedy and, unless it needs approval, executes it, all in
/// one transaction with its timeline events, audit rows and the mail to the
/// customer.
pub fn propose(
    conn: &mut DbConnection,
    actor: &Actor,
    id: TicketId,
    proposal: &Proposal,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
) -> Result<Proposed, TicketError> {
    let reason = text::single_line(&proposal.reason, MAX_REASON_CHARS)
        .map_err(|e| refusal("refusal-reason", &[("problem", e.to_string())]))?;
    let form_key =
        text::reference(&proposal.form_key).map_err(|_| refusal("refusal-form-damaged", &[]))?;
    let step_key = text::reference(&proposal.step).map_err(|_| no_step(&proposal.step))?;
    let key = format!("remedy:{}:{step_key}:{form_key}", id.reference());
    write_transaction(conn, |conn| {
        let ticket = crate::tickets::service::find_for_update(conn, id)?;
        if let Some((remedy, minor, currency)) = by_key(conn, &key)? {
            // The same form again answers the first submit, unless it now
            // asks for another amount.
            let same = match (minor, currency, proposal.amount.trim()) {
                (Some(minor), Some(currency), text) if !text.is_empty() => {
                    Money::parse(text, currency).is_ok_and(|asked| asked.minor() == minor)
                }
                _ => true,
            };
            return if same {
                Ok(Proposed::Repeated(remedy))
            } else {
                Err(refusal("refusal-form-other-amount", &[]))
            };
        }
        if ticket.status == TicketStatus::Closed {
            return Err(TicketError::Closed(id.reference()));
        }
        let newest: Option<RemedyId> = remedies::table
            .filter(remedies::ticket_id.eq(id))
            .select(diesel::dsl::max(remedies::id))
            .first(conn)?;
        if newest.map_or(0, |r| r.0) != proposal.after {
            return Err(refusal("refusal-stale-page", &[]));
        }
        let plan = plan(
            conn,
            &ticket,
            &proposal.step,
            &proposal.amount,
            calendar,
            now,
        )?;
        let kind: &'static str = plan.kind.into();
        let remedy: RemedyId = diesel::insert_into(remedies::table)
            .values((
                remedies::ticket_id.eq(Some(id)),
                remedies::customer_id.eq(ticket.customer_id),
                remedies::transaction_id.eq(plan.transaction.as_ref().map(|t| t.id)),
                remedies::kind.eq(kind),
                remedies::amount_minor.eq(plan.amount.map(Money::minor)),
                remedies::currency.eq(plan.amount.map(Money::currency)),
                remedies::reason.eq(&reason),
                remedies::status.eq("proposed"),
                remedies::requires_approval.eq(plan.requires_approval),
                remedies::proposed_by.eq(actor.id),
                remedies::idempotency_key.eq(&key),
                remedies::version.eq(1_i64),
                remedies::proposed_at.eq(now),
            ))
            .returning(remedies::id)
            .get_result(conn)?;
        let described = json!({
            "remedy": remedy, "kind": kind, "step": plan.step.key,
            "amount": plan.amount.map(|m| m.to_string()),
            "transaction": plan.transaction.as_ref().map(|t| t.reference.clone()),
            "requires_approval": plan.requires_approval,
        });
        timeline(
            conn,
            id,
            TicketEventKind::RemedyProposed,
            actor,
            Some(&reason),
            described.clone(),
            now,
        )?;
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Agent,
                agent: Some(actor.id),
                action: "remedy.propose".into(),
                entity_type: "remedy".into(),
                entity_id: remedy.to_string(),
                ticket: Some(id),
                before: None,
                after: Some(json!({ "proposal": described, "reason": reason })),
            },
        )?;
        if plan.requires_approval {
            return Ok(Proposed::AwaitingApproval(remedy));
        }
        execute(conn, actor, &ticket, remedy, &plan, &key, &reason, now)?;
        Ok(Proposed::Executed(remedy))
    })
}

/// Runs a proposed remedy on the ledger, marks it executed (conditioned on
/// it still being proposed or approved), and queues the customer's mail.
#[allow(clippy::too_many_arguments)]
fn execute(
    conn: &mut DbConnection,
    actor: &Actor,
    ticket: &Ticket,
    remedy: RemedyId,
    plan: &Plan,
    key: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), TicketError> {
    let ctx = RemedyContext {
        idempotency_key: key.to_owned(),
        actor: AuditActor::Agent,
        agent: Some(actor.id),
        ticket: Some(ticket.id),
        remedy: Some(remedy),
        reason: reason.to_owned(),
    };
    let tx = plan.transaction.as_ref().map(|t| t.id);
    let need_tx = || tx.ok_or_else(|| refusal("ev-no-transaction", &[]));
    let outcome = match plan.kind {
        RemedyKind::Refund => ledger::refund(conn, &ctx, need_tx()?, plan.amount),
        RemedyKind::ReissueRefund => {
            give_up_refund(conn, plan, key, now)?;
            ledger::refund(conn, &ctx, need_tx()?, plan.amount)
        }
        RemedyKind::Release => ledger::release_escrow(conn, &ctx, need_tx()?),
        RemedyKind::ReturnToSeller => ledger::return_escrow(conn, &ctx, need_tx()?),
        RemedyKind::ReverseWithdrawal => ledger::reverse_withdrawal(conn, &ctx, need_tx()?),
        RemedyKind::CreditTopUp => ledger::credit_failed_top_up(conn, &ctx, need_tx()?),
        RemedyKind::Unfreeze => {
            ledger::change_customer_status(conn, &ctx, ticket.customer_id, StatusChange::Unfreeze)
        }
        RemedyKind::Unlock => {
            ledger::change_customer_status(conn, &ctx, ticket.customer_id, StatusChange::Unlock)
        }
    }
    .map_err(refused)?;
    let executed = diesel::update(
        remedies::table
            .filter(remedies::id.eq(remedy))
            .filter(remedies::status.eq_any(["proposed", "approved"])),
    )
    .set((
        remedies::status.eq("executed"),
        remedies::executed_by.eq(Some(actor.id)),
        remedies::executed_at.eq(Some(now)),
        remedies::version.eq(remedies::version + 1),
    ))
    .execute(conn)?;
    if executed != 1 {
        return Err(refusal(
            "refusal-remedy-decided",
            &[("remedy", remedy.to_string())],
        ));
    }
    let kind: &'static str = plan.kind.into();
    timeline(
        conn,
        ticket.id,
        TicketEventKind::RemedyExecuted,
        actor,
        None,
        json!({
            "remedy": remedy, "kind": kind,
            "amount": plan.amount.map(|m| m.to_string()),
            "transaction": outcome.transaction,
            "transfers": outcome.transfers,
        }),
        now,
    )?;
    let customer = crate::db::models::Customer::find(conn, ticket.customer_id)?
        .ok_or(TicketError::UnknownCustomer(ticket.customer_id))?;
    outbox::enqueue(conn, remedy_mail(&customer, ticket, plan)?)?;
    Ok(())
}

/// Gives up the overdue pending refund a reissue replaces: its hold, if
/// any, goes back to where it came from, it is marked failed (conditioned
/// on it still being pending) and its payment's status follows.
fn give_up_refund(
    conn: &mut DbConnection,
    plan: &Plan,
    key: &str,
    now: NaiveDateTime,
) -> Result<(), TicketError> {
    let Some(overdue) = &plan.reissue_of else {
        return Err(refusal(
            "refusal-no-pending-refund",
            &[("reference", "—".into())],
        ));
    };
    if let Ok(hold) = open_hold(conn, overdue, TransferKind::Refund) {
        crate::ledger::transfers::void_pending(
            conn,
            &format!("{key}:void"),
            hold.id,
            crate::ledger::transfers::Links {
                transaction: Some(overdue.id),
                ..Default::default()
            },
        )
        .map_err(|e| refused(e.into()))?;
    }
    let failed = diesel::update(
        crate::db::schema::transactions::table
            .filter(crate::db::schema::transactions::id.eq(overdue.id))
            .filter(crate::db::schema::transactions::status.eq(TransactionStatus::Pending)),
    )
    .set((
        crate::db::schema::transactions::status.eq(TransactionStatus::Failed),
        crate::db::schema::transactions::failure_reason.eq(Some("issued again by the desk")),
        crate::db::schema::transactions::updated_at.eq(now),
    ))
    .execute(conn)?;
    if failed != 1 {
        return Err(refusal(
            "refusal-changed-meanwhile",
            &[("reference", overdue.reference.clone())],
        ));
    }
    if let Some(original) = overdue.original_transaction_id {
        ledger::recount_refunds(conn, original).map_err(refused)?;
    }
    Ok(())
}

fn timeline(
    conn: &mut DbConnection,
    ticket: TicketId,
    kind: TicketEventKind,
    actor: &Actor,
    body: Option<&str>,
    data: serde_json::Value,
    at: NaiveDateTime,
) -> Result<(), TicketError> {
    diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::ticket_id.eq(ticket),
            ticket_events::kind.eq(kind),
            ticket_events::actor.eq(crate::domain::Actor::Agent),
            ticket_events::agent_id.eq(Some(actor.id)),
            ticket_events::body.eq(body),
            ticket_events::data.eq(Some(data.to_string())),
            ticket_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The customer's mail saying what was done, in their language.
fn remedy_mail(
    customer: &crate::db::models::Customer,
    ticket: &Ticket,
    plan: &Plan,
) -> Result<OutgoingMail, TicketError> {
    let kind: &'static str = plan.kind.into();
    let values = [
        (
            "amount",
            plan.amount.map(|m| m.to_string()).unwrap_or_default(),
        ),
        (
            "reference",
            plan.transaction
                .as_ref()
                .map(|t| t.reference.clone())
                .unwrap_or_default(),
        ),
    ];
    let values = [
        values[0].clone(),
        values[1].clone(),
        ("by", plan.arrives_by.format("%Y-%m-%d").to_string()),
    ];
    letters::remedy_executed(customer, ticket.id, &kind.replace('_', "-"), &values)
        .map_err(|e| TicketError::Mail(e.to_string()))
}

/// A remedy waiting for a second person, as the approvals page lists it.
#[derive(Debug, Clone)]
pub struct Awaiting {
    pub id: RemedyId,
    pub ticket: Option<TicketId>,
    pub kind: String,
    pub amount: Option<Money>,
    pub customer: String,
    pub proposed_by: AgentId,
    pub proposer: String,
    pub reason: String,
    pub proposed_at: NaiveDateTime,
}

/// Most remedies listed at once.
pub const AWAITING_PAGE: i64 = 100;

/// Remedies proposed and waiting for approval, oldest first (at most a
/// page of them, read through the status index).
pub fn awaiting(conn: &mut DbConnection) -> Result<Vec<Awaiting>, TicketError> {
    use crate::db::schema::{agents, customers};
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        RemedyId,
        Option<TicketId>,
        String,
        Option<i64>,
        Option<Currency>,
        String,
        AgentId,
        String,
        String,
        NaiveDateTime,
    )> = remedies::table
        .inner_join(customers::table)
        .inner_join(agents::table.on(agents::id.eq(remedies::proposed_by)))
        .filter(remedies::status.eq("proposed"))
        .filter(remedies::requires_approval.eq(true))
        .order((remedies::proposed_at, remedies::id))
        .limit(AWAITING_PAGE)
        .select((
            remedies::id,
            remedies::ticket_id,
            remedies::kind,
            remedies::amount_minor,
            remedies::currency,
            customers::name,
            remedies::proposed_by,
            agents::name,
            remedies::reason,
            remedies::proposed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, ticket, kind, amount, currency, customer, proposed_by, proposer, reason, at)| {
                Awaiting {
                    id,
                    ticket,
                    kind,
                    amount: amount.zip(currency).map(|(m, c)| Money::from_minor(m, c)),
                    customer,
                    proposed_by,
                    proposer,
                    reason,
                    proposed_at: at,
                }
            },
        )
        .collect())
}

/// A remedy row as approval needs it.
struct Stored {
    ticket: TicketId,
    transaction: Option<TransactionId>,
    kind: String,
    amount: Option<Money>,
    reason: String,
    proposed_by: AgentId,
    key: String,
}

fn stored(conn: &mut DbConnection, id: RemedyId) -> Result<Stored, TicketError> {
    #[allow(clippy::type_complexity)]
    let row: (
        Option<TicketId>,
        Option<TransactionId>,
        String,
        Option<i64>,
        Option<String>,
        String,
        AgentId,
        String,
    ) = remedies::table
        .find(id)
        .select((
            remedies::ticket_id,
            remedies::transaction_id,
            remedies::kind,
            remedies::amount_minor,
            remedies::currency,
            remedies::reason,
            remedies::proposed_by,
            remedies::idempotency_key,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| refusal("refusal-no-remedy", &[("remedy", id.to_string())]))?;
    let (ticket, transaction, kind, amount, currency, reason, proposed_by, key) = row;
    let amount = match (amount, currency.as_deref().map(parse_currency)) {
        (Some(minor), Some(Ok(currency))) => Some(Money::from_minor(minor, currency)),
        _ => None,
    };
    Ok(Stored {
        transaction,
        ticket: ticket
            .ok_or_else(|| refusal("refusal-no-remedy", &[("remedy", id.to_string())]))?,
        kind,
        amount,
        reason,
        proposed_by,
        key,
    })
}

/// Moves a proposed remedy on, conditioned on it still being proposed and
/// on the decider not being its proposer.
fn decide(
    conn: &mut DbConnection,
    id: RemedyId,
    actor: &Actor,
    to: &str,
    failure: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), TicketError> {
    let decided = diesel::update(
        remedies::table
            .filter(remedies::id.eq(id))
            .filter(remedies::status.eq("proposed"))
            .filter(remedies::proposed_by.ne(actor.id)),
    )
    .set((
        remedies::status.eq(to),
        remedies::approved_by.eq((to == "approved").then_some(actor.id)),
        remedies::decided_at.eq(Some(now)),
        remedies::failure.eq(failure),
        remedies::version.eq(remedies::version + 1),
    ))
    .execute(conn)?;
    if decided == 1 {
        return Ok(());
    }
    let status: Option<String> = remedies::table
        .find(id)
        .select(remedies::status)
        .first(conn)
        .optional()?;
    Err(TicketError::Refused(
        Message::new("refusal-remedy-now")
            .with("remedy", id.to_string())
            .with_word(
                "status",
                format!("remedy-status-{}", status.unwrap_or_else(|| "gone".into())),
            ),
    ))
}

/// Approves a remedy and executes it, in one transaction: only a
/// supervisor who did not propose it, whose password the caller has just
/// checked again.
pub fn approve(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RemedyId,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
) -> Result<TicketId, TicketError> {
    if actor.role < Role::Supervisor {
        return Err(refusal("refusal-supervisors-only", &[]));
    }
    write_transaction(conn, |conn| {
        let remedy = stored(conn, id)?;
        if remedy.proposed_by == actor.id {
            return Err(refusal("refusal-own-remedy", &[]));
        }
        let ticket = crate::tickets::service::find_for_update(conn, remedy.ticket)?;
        if ticket.status == TicketStatus::Closed {
            return Err(TicketError::Closed(ticket.id.reference()));
        }
        decide(conn, id, actor, "approved", None, now)?;
        let step = for_category(ticket.category)
            .and_then(|playbook| {
                playbook.steps.iter().find(|step| {
                    matches!(step.kind, StepKind::Remedy(kind) if <&'static str>::from(kind) == remedy.kind)
                })
            })
            .ok_or_else(|| no_step(&remedy.kind))?;
        let amount = remedy
            .amount
            .map(|m| m.to_decimal().to_string())
            .unwrap_or_default();
        let plan = plan(conn, &ticket, step.key, &amount, calendar, now)?;
        // What runs is what was proposed: the same transaction and amount,
        // whatever the ticket links to now.
        if plan.transaction.as_ref().map(|t| t.id) != remedy.transaction
            || plan.amount != remedy.amount
        {
            return Err(refusal(
                "refusal-remedy-mismatch",
                &[("remedy", id.to_string())],
            ));
        }
        timeline(
            conn,
            ticket.id,
            TicketEventKind::RemedyApproved,
            actor,
            None,
            json!({ "remedy": id, "kind": remedy.kind }),
            now,
        )?;
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Agent,
                agent: Some(actor.id),
                action: "remedy.approve".into(),
                entity_type: "remedy".into(),
                entity_id: id.to_string(),
                ticket: Some(ticket.id),
                before: Some(json!({ "status": "proposed" })),
                after: Some(json!({ "status": "approved" })),
            },
        )?;
        execute(
            conn,
            actor,
            &ticket,
            id,
            &plan,
            &remedy.key,
            &remedy.reason,
            now,
        )?;
        Ok(ticket.id)
    })
}

/// Rejects a remedy, saying why; nothing moves.
pub fn reject(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RemedyId,
    reason: &str,
    now: NaiveDateTime,
) -> Result<TicketId, TicketError> {
    if actor.role < Role::Supervisor {
        return Err(refusal("refusal-supervisors-only", &[]));
    }
    let reason = text::single_line(reason, MAX_REASON_CHARS)
        .map_err(|e| refusal("refusal-reason", &[("problem", e.to_string())]))?;
    write_transaction(conn, |conn| {
        let remedy = stored(conn, id)?;
        if remedy.proposed_by == actor.id {
            return Err(refusal("refusal-own-remedy", &[]));
        }
        crate::tickets::service::find_for_update(conn, remedy.ticket)?;
        decide(conn, id, actor, "rejected", Some(&reason), now)?;
        timeline(
            conn,
            remedy.ticket,
            TicketEventKind::RemedyRejected,
            actor,
            Some(&reason),
            json!({ "remedy": id, "kind": remedy.kind, "decision": "rejected" }),
            now,
        )?;
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Agent,
                agent: Some(actor.id),
                action: "remedy.reject".into(),
                entity_type: "remedy".into(),
                entity_id: id.to_string(),
                ticket: Some(remedy.ticket),
                before: Some(json!({ "status": "proposed" })),
                after: Some(json!({ "status": "rejected", "reason": reason })),
            },
        )?;
        Ok(remedy.ticket)
    })
}

/// Each currency's approval threshold: remedies above it wait for a second
/// person; None means no remedy in that currency needs one.
pub fn thresholds(conn: &mut DbConnection) -> Result<Vec<(Currency, Option<Money>)>, TicketError> {
    use strum::IntoEnumIterator;
    let stored: Vec<(Currency, i64)> = approval_thresholds::table
        .select((
            approval_thresholds::currency,
            approval_thresholds::amount_minor,
        ))
        .load(conn)?;
    Ok(Currency::iter()
        .map(|currency| {
            let limit = stored
                .iter()
                .find(|(c, _)| *c == currency)
                .map(|(_, minor)| Money::from_minor(*minor, currency));
            (currency, limit)
        })
        .collect())
}

/// Parses a threshold as an admin types it: an amount, or 0 (every remedy
/// in that currency needs approval).
pub fn parse_threshold(text: &str, currency: Currency) -> Result<i64, TicketError> {
    let text = text.trim();
    if text.chars().all(|c| c == '0' || c == '.') && text.starts_with('0') {
        return Ok(0);
    }
    Money::parse(text, currency).map(Money::minor).map_err(|e| {
        refusal(
            "refusal-threshold",
            &[
                ("currency", currency.code().to_owned()),
                ("problem", e.to_string()),
            ],
        )
    })
}

/// Sets a currency's approval threshold, audited with the value it replaced.
pub fn set_threshold(
    conn: &mut DbConnection,
    admin: AgentId,
    currency: Currency,
    minor: i64,
    now: NaiveDateTime,
) -> Result<(), TicketError> {
    write_transaction(conn, |conn| {
        let before: Option<i64> = approval_thresholds::table
            .find(currency)
            .select(approval_thresholds::amount_minor)
            .first(conn)
            .optional()?;
        let updated = diesel::update(approval_thresholds::table.find(currency))
            .set((
                approval_thresholds::amount_minor.eq(minor),
                approval_thresholds::updated_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(approval_thresholds::table)
                .values((
                    approval_thresholds::currency.eq(currency),
                    approval_thresholds::amount_minor.eq(minor),
                    approval_thresholds::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        let shown = |minor: i64| Money::from_minor(minor, currency).to_string();
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Agent,
                agent: Some(admin),
                action: "remedy.threshold".into(),
                entity_type: "approval_threshold".into(),
                entity_id: currency.code().into(),
                ticket: None,
                before: before.map(|m| json!({ "threshold": shown(m) })),
                after: Some(json!({ "threshold": shown(minor) })),
            },
        )?;
        Ok(())
    })
}

//! The instant diagnosis: what the playbook's facts already say about the
//! user's own transaction, in the user's words and language, and what
//! happens next and by when. Only a transaction linked to the ticket is
//! read, and one is linked only when its reference belongs to the e-mail
//! that filed: nothing of anyone else's is ever shown.

use crate::db::models::{Ticket, Transaction};
use crate::domain::*;
use crate::i18n::{self, Lang};
use crate::playbooks::evaluate::{Facts, REFUND_DAYS, WITHDRAWAL_DAYS};
use crate::tickets::sla::BusinessCalendar;
use chrono::NaiveDateTime;

/// What the user reads under "What we already know" and "What happens
/// next".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub known: Vec<String>,
    pub next: String,
}

/// Diagnoses a ticket from its facts at `now`.
pub fn diagnose(
    ticket: &Ticket,
    facts: &Facts,
    calendar: &BusinessCalendar,
    lang: Lang,
    now: NaiveDateTime,
) -> Diagnosis {
    let date = |at: NaiveDateTime| calendar.local(at).format("%Y-%m-%d").to_string();
    let say = |key: &str, values: &[(&str, String)]| i18n::text_with(lang, key, values);
    // Only the filer's own side: a counterparty (the other side of a
    // trade or transfer) reads the trade's state, never the other
    // customer's refunds or failure reasons.
    let known = match &facts.transaction {
        Some(tx) if tx.customer_id == ticket.customer_id => {
            what_we_know(ticket.category, tx, facts, calendar, lang, now)
        }
        Some(tx)
            if matches!(
                ticket.category,
                TicketCategory::PaidNotReleased | TicketCategory::CounterpartyUnpaid
            ) =>
        {
            what_we_know(ticket.category, tx, facts, calendar, lang, now)
        }
        _ => Vec::new(),
    };
    let next = match ticket.status {
        TicketStatus::Solved | TicketStatus::Closed => say("diag-next-solved", &[]),
        TicketStatus::Pending => say("diag-next-pending", &[]),
        _ if ticket.first_responded_at.is_some() => say("diag-next-working", &[]),
        _ => {
            let due = ticket
                .first_response_due_at
                .map(|at| {
                    calendar
                        .local(at)
                        .format("%Y-%m-%d %H:%M (UTC%:z)")
                        .to_string()
                })
                .unwrap_or_else(|| date(now));
            say(
                if known.is_empty() {
                    "diag-next-unknown"
                } else {
                    "diag-next-agent"
                },
                &[("due", due)],
            )
        }
    };
    Diagnosis { known, next }
}

/// The facts of the user's transaction that matter for the problem.
fn what_we_know(
    category: TicketCategory,
    tx: &Transaction,
    facts: &Facts,
    calendar: &BusinessCalendar,
    lang: Lang,
    now: NaiveDateTime,
) -> Vec<String> {
    let date = |at: NaiveDateTime| calendar.local(at).format("%Y-%m-%d").to_string();
    let say = |key: &str, values: &[(&str, String)]| i18n::text_with(lang, key, values);
    let amount = tx.amount().to_string();
    let basics = [
        ("reference", tx.reference.clone()),
        ("amount", amount.clone()),
        ("date", date(tx.created_at)),
        ("status", i18n::word(lang, tx.status)),
    ];
    let mut known = vec![say("diag-transaction", &basics)];
    // The user may name the refund itself rather than its payment.
    let refund = if tx.kind == TransactionKind::Refund {
        Transaction::counts_as_refunded(tx.status).then_some(tx)
    } else {
        facts
            .refunds
            .iter()
            .find(|r| Transaction::counts_as_refunded(r.status))
    };
    match category {
        TicketCategory::PaymentCancelled | TicketCategory::RefundNotReceived => match refund {
            Some(refund) => {
                let by = calendar.add_business_days(refund.created_at, REFUND_DAYS.1);
                let values = [
                    ("amount", refund.amount().to_string()),
                    ("date", date(refund.created_at)),
                    ("by", by.to_string()),
                ];
                let key = if refund.status == TransactionStatus::Completed {
                    "diag-refund-done"
                } else if calendar.local_date(now) > by {
                    "diag-refund-late"
                } else {
                    "diag-refund-issued"
                };
                known.push(say(key, &values));
            }
            None if tx.kind == TransactionKind::Refund => {
                known.push(say("diag-refund-failed", &[("amount", amount.clone())]))
            }
            None => known.push(say("diag-no-refund", &[])),
        },
        TicketCategory::PaidNotReleased | TicketCategory::CounterpartyUnpaid => {
            let key = match tx.status {
                TransactionStatus::AwaitingRelease => "diag-escrow-held",
                TransactionStatus::Released => "diag-escrow-released",
                TransactionStatus::Pending => "diag-trade-pending",
                _ => "diag-trade-other",
            };
            let at = tx.completed_at.unwrap_or(tx.updated_at);
            known.push(say(key, &[("amount", amount), ("date", date(at))]));
        }
        TicketCategory::TopUpFailed => {
            let key = match tx.status {
                TransactionStatus::Completed => "diag-top-up-credited",
                TransactionStatus::Pending => "diag-top-up-pending",
                _ => "diag-top-up-failed",
            };
            let reason = tx
                .failure_reason
                .as_deref()
                .map(|reason| i18n::failure_reason(lang, reason))
                .unwrap_or_else(|| i18n::text(lang, "diag-no-reason"));
            known.push(say(key, &[("amount", amount), ("reason", reason)]));
        }
        TicketCategory::WithdrawalDelayed => {
            let by = calendar.add_business_days(tx.created_at, WITHDRAWAL_DAYS.1);
            let key = match tx.status {
                TransactionStatus::Pending if calendar.local_date(now) > by => {
                    "diag-withdrawal-late"
                }
                TransactionStatus::Pending => "diag-withdrawal-pending",
                TransactionStatus::Completed => "diag-withdrawal-done",
                _ => "diag-withdrawal-stopped",
            };
            known.push(say(key, &[("amount", amount), ("by", by.to_string())]));
        }
        TicketCategory::TransactionDeclined => {
            if let Some(reason) = &tx.failure_reason {
                known.push(say(
                    "diag-declined",
                    &[("reason", i18n::failure_reason(lang, reason))],
                ));
            }
        }
        TicketCategory::AccountFrozen | TicketCategory::AccountLocked | TicketCategory::Other => {}
    }
    known
}

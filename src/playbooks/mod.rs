//! The troubleshooting playbooks: one checklist per ticket category, as
//! typed data. A step is checked against the ledger (auto), confirmed by an
//! agent (manual), or fixes the problem (remedy, enabled once the steps it
//! depends on have passed). Step texts live in the catalogs under
//! `step-<key>`; adding a step or a playbook is a change here and there.

pub mod evaluate;
pub mod macros;
pub mod remedies;

use crate::domain::TicketCategory;
use crate::i18n::{self, Lang};

/// What the desk checks by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    PaymentCancelled,
    PaymentCharged,
    RefundIssued,
    RefundWindow,
    AccountNormal,
    FreezeReason,
    RecentCancellations,
    LockConfirmed,
    EscrowHeld,
    ReleaseDelay,
    BuyerNotFrozen,
    TopUpFailed,
    NoWalletCredit,
    WithdrawalPending,
    WithdrawalAge,
    TradeOpen,
    Balance,
}

/// What a remedy step does (see `ledger::remedies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RemedyKind {
    Refund,
    /// Gives up an overdue pending refund and refunds the same amount to
    /// the wallet.
    ReissueRefund,
    Release,
    ReturnToSeller,
    ReverseWithdrawal,
    CreditTopUp,
    Unfreeze,
    Unlock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Auto(Check),
    Manual,
    Remedy(RemedyKind),
}

/// One step of a playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Stable: stored with a manual step's state, used in the page markup.
    pub key: &'static str,
    pub kind: StepKind,
    /// Steps that must have passed first (remedies wait for them).
    pub depends_on: &'static [&'static str],
}

impl Step {
    pub fn title(&self, lang: Lang) -> String {
        i18n::text(lang, &format!("step-{}", self.key))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Playbook {
    pub category: TicketCategory,
    pub steps: &'static [Step],
}

const fn auto(key: &'static str, check: Check) -> Step {
    Step {
        key,
        kind: StepKind::Auto(check),
        depends_on: &[],
    }
}

const fn manual(key: &'static str) -> Step {
    Step {
        key,
        kind: StepKind::Manual,
        depends_on: &[],
    }
}

const fn remedy(key: &'static str, kind: RemedyKind, depends_on: &'static [&'static str]) -> Step {
    Step {
        key,
        kind: StepKind::Remedy(kind),
        depends_on,
    }
}

/// The step whose passing also marks the customer's identity verified.
pub const IDENTITY_VERIFIED: &str = "identity-verified";

use Check as C;
use RemedyKind as R;
use TicketCategory as T;

/// Every playbook, one per category but `other`.
pub static PLAYBOOKS: [Playbook; 9] = [
    Playbook {
        category: T::PaymentCancelled,
        steps: &[
            auto("payment-cancelled", C::PaymentCancelled),
            auto("payment-charged", C::PaymentCharged),
            remedy(
                "refund",
                R::Refund,
                &["payment-cancelled", "payment-charged"],
            ),
        ],
    },
    Playbook {
        category: T::RefundNotReceived,
        steps: &[
            auto("refund-issued", C::RefundIssued),
            auto("refund-window", C::RefundWindow),
            auto("account-normal", C::AccountNormal),
            manual("proof-supplied"),
            remedy(
                "reissue-refund",
                R::ReissueRefund,
                &["refund-window", "account-normal", "proof-supplied"],
            ),
        ],
    },
    Playbook {
        category: T::AccountFrozen,
        steps: &[
            auto("freeze-reason", C::FreezeReason),
            auto("recent-cancellations", C::RecentCancellations),
            manual(IDENTITY_VERIFIED),
            manual("password-changed"),
            remedy(
                "unfreeze",
                R::Unfreeze,
                &["freeze-reason", "identity-verified", "password-changed"],
            ),
            manual("watch-after-unfreeze"),
        ],
    },
    Playbook {
        category: T::AccountLocked,
        steps: &[
            auto("lock-confirmed", C::LockConfirmed),
            manual(IDENTITY_VERIFIED),
            remedy(
                "unlock",
                R::Unlock,
                &["lock-confirmed", "identity-verified"],
            ),
        ],
    },
    Playbook {
        category: T::PaidNotReleased,
        steps: &[
            auto("escrow-held", C::EscrowHeld),
            auto("release-delay", C::ReleaseDelay),
            auto("buyer-not-frozen", C::BuyerNotFrozen),
            manual("payment-evidence"),
            manual("counterparty-contacted"),
            remedy(
                "release",
                R::Release,
                &["escrow-held", "buyer-not-frozen", "payment-evidence"],
            ),
            remedy(
                "return-to-seller",
                R::ReturnToSeller,
                &["escrow-held", "counterparty-contacted"],
            ),
        ],
    },
    Playbook {
        category: T::TopUpFailed,
        steps: &[
            auto("top-up-failed", C::TopUpFailed),
            manual("external-charge"),
            auto("no-wallet-credit", C::NoWalletCredit),
            remedy(
                "credit-top-up",
                R::CreditTopUp,
                &["top-up-failed", "external-charge", "no-wallet-credit"],
            ),
        ],
    },
    Playbook {
        category: T::WithdrawalDelayed,
        steps: &[
            auto("withdrawal-pending", C::WithdrawalPending),
            auto("withdrawal-age", C::WithdrawalAge),
            manual("destination-correct"),
            remedy(
                "reverse-withdrawal",
                R::ReverseWithdrawal,
                &["withdrawal-pending", "withdrawal-age"],
            ),
        ],
    },
    Playbook {
        category: T::CounterpartyUnpaid,
        steps: &[
            auto("trade-open", C::TradeOpen),
            manual("both-contacted"),
            manual("details-correct"),
            manual("evidence-collected"),
            remedy(
                "release",
                R::Release,
                &["trade-open", "both-contacted", "evidence-collected"],
            ),
            remedy(
                "return-to-seller",
                R::ReturnToSeller,
                &["trade-open", "both-contacted", "evidence-collected"],
            ),
        ],
    },
    Playbook {
        category: T::TransactionDeclined,
        steps: &[
            auto("balance", C::Balance),
            manual("limits"),
            manual("risk-check"),
            manual("merchant-accepts"),
        ],
    },
];

/// The playbook of a category; `other` has none.
pub fn for_category(category: TicketCategory) -> Option<&'static Playbook> {
    PLAYBOOKS
        .iter()
        .find(|playbook| playbook.category == category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use strum::IntoEnumIterator;

    #[test]
    fn every_category_but_other_has_one_playbook() {
        for category in TicketCategory::iter() {
            let found = PLAYBOOKS.iter().filter(|p| p.category == category).count();
            let expected = usize::from(category != TicketCategory::Other);
            assert_eq!(found, expected, "{category}");
        }
    }

    #[test]
    fn steps_are_unique_depend_on_earlier_steps_and_have_both_texts() {
        for playbook in &PLAYBOOKS {
            let mut seen = BTreeSet::new();
            for step in playbook.steps {
                for needed in step.depends_on {
                    assert!(
                        seen.contains(needed),
                        "{}: {} depends on {needed}, which does not come before it",
                        playbook.category,
                        step.key
                    );
                }
                assert!(
                    seen.insert(step.key),
                    "{}: {} twice",
                    playbook.category,
                    step.key
                );
                for lang in Lang::ALL {
                    assert!(
                        i18n::has(lang, &format!("step-{}", step.key)),
                        "step-{} in {lang:?}",
                        step.key
                    );
                }
            }
        }
    }
}

/// A ticket's playbook as a page shows it: each step with its state and
/// evidence in one language.
#[derive(Debug, Clone)]
pub struct PlaybookView {
    pub steps: Vec<StepView>,
    /// The ticket's newest remedy (0: none), which remedy forms carry.
    pub newest_remedy: i64,
    /// The words of the manual steps' form.
    pub labels: StepLabels,
    /// Steps settled (passed, failed, skipped or not applicable), of all.
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone)]
pub struct StepLabels {
    pub mark: String,
    pub choose: String,
    pub note: String,
    pub save: String,
    pub amount: String,
    pub reason: String,
    pub preview: String,
    /// (value, words) of each mark an agent can give.
    pub marks: Vec<(&'static str, String)>,
}

impl StepLabels {
    fn new(lang: Lang) -> StepLabels {
        StepLabels {
            mark: i18n::text(lang, "step-mark"),
            choose: i18n::text(lang, "step-choose"),
            note: i18n::text(lang, "step-note"),
            save: i18n::text(lang, "step-save"),
            amount: i18n::text(lang, "remedy-amount"),
            reason: i18n::text(lang, "remedy-reason"),
            preview: i18n::text(lang, "remedy-preview"),
            marks: ["passed", "failed", "skipped"]
                .into_iter()
                .map(|mark| (mark, i18n::text(lang, &format!("state-{mark}"))))
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepView {
    pub key: &'static str,
    pub title: String,
    /// `passed`, `failed`, `pending`, `skipped` or `not_applicable`.
    pub state: &'static str,
    pub state_text: String,
    pub evidence: Option<String>,
    /// `auto`, `manual` or `remedy`.
    pub kind: &'static str,
    /// A remedy's kind (`refund`, `release`…).
    pub remedy: Option<&'static str>,
    /// A remedy: what must pass first, in words; empty when it may run.
    pub waiting_for: Option<String>,
    /// A refund: what can still be refunded, to prefill its amount.
    pub prefill_amount: Option<String>,
    /// A remedy whose form is offered: its steps passed, none of its kind
    /// waits for approval, and it has something left to do.
    pub offered: bool,
}

/// Evaluates the playbook of `ticket`'s category, if it has one.
pub fn view(
    conn: &mut crate::db::DbConnection,
    ticket: &crate::db::models::Ticket,
    calendar: &crate::tickets::sla::BusinessCalendar,
    now: chrono::NaiveDateTime,
    lang: Lang,
) -> Result<Option<PlaybookView>, crate::db::DbError> {
    let Some(playbook) = for_category(ticket.category) else {
        return Ok(None);
    };
    let Some(facts) = evaluate::Facts::load(conn, ticket, now)? else {
        return Ok(None);
    };
    let evaluated = evaluate::evaluate(playbook, &facts, calendar, now, lang);
    // What is left to refund of the linked payment, if any.
    let refundable = match &facts.transaction {
        Some(tx) if tx.kind == crate::domain::TransactionKind::Payment => {
            crate::ledger::remedies::refundable(conn, tx, None)
                .ok()
                .map(|fits| fits.amount.to_decimal().to_string())
        }
        _ => None,
    };
    let title_of = |key: &str| {
        playbook
            .steps
            .iter()
            .find(|step| step.key == key)
            .map(|step| step.title(lang))
            .unwrap_or_else(|| key.to_owned())
    };
    let steps: Vec<StepView> = evaluated
        .iter()
        .map(|e| StepView {
            key: e.step.key,
            title: e.step.title(lang),
            state: e.state.as_str(),
            state_text: i18n::text(
                lang,
                &format!("state-{}", e.state.as_str().replace('_', "-")),
            ),
            evidence: e.evidence.clone(),
            kind: match e.step.kind {
                StepKind::Auto(_) => "auto",
                StepKind::Manual => "manual",
                StepKind::Remedy(_) => "remedy",
            },
            remedy: match e.step.kind {
                StepKind::Remedy(kind) => Some(kind.into()),
                _ => None,
            },
            prefill_amount: match e.step.kind {
                StepKind::Remedy(RemedyKind::Refund) => refundable.clone(),
                _ => None,
            },
            offered: match e.step.kind {
                StepKind::Remedy(kind) => {
                    let code: &'static str = kind.into();
                    let waiting = facts.remedies.iter().any(|r| {
                        r.kind == code && (r.status == "proposed" || r.status == "approved")
                    });
                    let left = match kind {
                        // A payment may be refunded in parts while some is left.
                        RemedyKind::Refund => refundable.is_some(),
                        RemedyKind::ReissueRefund => facts
                            .refunds
                            .iter()
                            .any(|r| r.status == crate::domain::TransactionStatus::Pending),
                        _ => e.state != evaluate::StepState::Passed,
                    };
                    e.waiting_for.is_empty() && !waiting && left
                }
                _ => false,
            },
            waiting_for: (!e.waiting_for.is_empty()).then(|| {
                let names: Vec<String> = e.waiting_for.iter().map(|key| title_of(key)).collect();
                i18n::text_with(lang, "playbook-waits-for", &[("steps", names.join(" · "))])
            }),
        })
        .collect();
    let done = evaluated
        .iter()
        .filter(|e| e.state != evaluate::StepState::Pending)
        .count();
    Ok(Some(PlaybookView {
        newest_remedy: facts.remedies.iter().map(|r| r.id.0).max().unwrap_or(0),
        labels: StepLabels::new(lang),
        total: steps.len(),
        done,
        steps,
    }))
}

/// The reply macro `key` for a ticket, filled and in the customer's
/// language; None when its category has no such macro.
pub fn macro_text(
    conn: &mut crate::db::DbConnection,
    ticket: &crate::db::models::Ticket,
    key: &str,
    calendar: &crate::tickets::sla::BusinessCalendar,
    now: chrono::NaiveDateTime,
) -> Result<Option<String>, crate::db::DbError> {
    let Some(facts) = evaluate::Facts::load(conn, ticket, now)? else {
        return Ok(None);
    };
    Ok(macros::fill(key, ticket.category, &facts, calendar))
}

/// The macros a ticket's category offers: (key, title in `lang`).
pub fn macro_choices(
    category: crate::domain::TicketCategory,
    lang: Lang,
) -> Vec<(&'static str, String)> {
    macros::keys(category)
        .iter()
        .map(|key| (*key, i18n::text(lang, &format!("macro-title-{key}"))))
        .collect()
}

/// Each ticket's playbook progress, (steps settled, steps in all), for a
/// page of tickets at once (see `Facts::load_many`); tickets whose category
/// has no playbook are left out.
pub fn progress_many(
    conn: &mut crate::db::DbConnection,
    tickets: &[crate::db::models::Ticket],
    calendar: &crate::tickets::sla::BusinessCalendar,
    now: chrono::NaiveDateTime,
) -> Result<std::collections::HashMap<crate::domain::TicketId, (usize, usize)>, crate::db::DbError>
{
    let with_playbook: Vec<crate::db::models::Ticket> = tickets
        .iter()
        .filter(|t| for_category(t.category).is_some())
        .cloned()
        .collect();
    let facts = evaluate::Facts::load_many(conn, &with_playbook, now)?;
    Ok(with_playbook
        .iter()
        .filter_map(|ticket| {
            let playbook = for_category(ticket.category)?;
            let facts = facts.get(&ticket.id)?;
            let evaluated = evaluate::evaluate(playbook, facts, calendar, now, Lang::En);
            let done = evaluated
                .iter()
                .filter(|e| e.state != evaluate::StepState::Pending)
                .count();
            Some((ticket.id, (done, evaluated.len())))
        })
        .collect())
}

//! Reply macros: per playbook, texts for the customer filled from what the
//! playbook knows (amounts, dates, the expected window), in the customer's
//! language, put into the reply box for the agent to edit before sending.

use super::evaluate::{Facts, REFUND_DAYS, WITHDRAWAL_DAYS};
use crate::domain::*;
use crate::i18n::{self, Lang};
use crate::tickets::sla::BusinessCalendar;

/// The macros of each category, by key; texts are `macro-<key>` (to the
/// customer) and `macro-title-<key>` (the link the agent clicks).
pub static MACROS: [(TicketCategory, &[&str]); 9] = [
    (
        TicketCategory::PaymentCancelled,
        &["payment-refunded", "payment-not-charged"],
    ),
    (
        TicketCategory::RefundNotReceived,
        &["refund-expected", "refund-reissued"],
    ),
    (
        TicketCategory::AccountFrozen,
        &["identity-needed", "account-unfrozen"],
    ),
    (TicketCategory::AccountLocked, &["account-unlocked"]),
    (
        TicketCategory::PaidNotReleased,
        &["coins-held", "coins-released"],
    ),
    (
        TicketCategory::TopUpFailed,
        &["top-up-checking", "top-up-credited"],
    ),
    (
        TicketCategory::WithdrawalDelayed,
        &["withdrawal-expected", "withdrawal-returned"],
    ),
    (TicketCategory::CounterpartyUnpaid, &["evidence-request"]),
    (TicketCategory::TransactionDeclined, &["declined-balance"]),
];

/// Every value a macro may place.
const VALUES: [&str; 9] = [
    "name",
    "reference",
    "amount",
    "date",
    "withdrawal_by",
    "available",
    "refund_amount",
    "refund_date",
    "refund_by",
];

/// The macro keys of a category.
pub fn keys(category: TicketCategory) -> &'static [&'static str] {
    MACROS
        .iter()
        .find(|(c, _)| *c == category)
        .map_or(&[], |(_, keys)| keys)
}

/// The macro `key` of the ticket's category, filled in the customer's
/// language; None when the category has no such macro.
pub fn fill(
    key: &str,
    category: TicketCategory,
    facts: &Facts,
    calendar: &BusinessCalendar,
) -> Option<String> {
    let key = keys(category).iter().find(|k| **k == key)?;
    let lang = Lang::from(facts.customer.locale);
    let date = |at: chrono::NaiveDateTime| calendar.local(at).format("%Y-%m-%d").to_string();
    let mut values = vec![("name", facts.customer.name.clone())];
    if let Some(tx) = &facts.transaction {
        values.push(("reference", tx.reference.clone()));
        values.push((
            "amount",
            Money::from_minor(tx.amount_minor, tx.currency).to_string(),
        ));
        values.push(("date", date(tx.created_at)));
        let (_, latest) = WITHDRAWAL_DAYS;
        values.push((
            "withdrawal_by",
            calendar
                .add_business_days(tx.created_at, latest)
                .to_string(),
        ));
        if let Some(available) = facts.available {
            values.push((
                "available",
                Money::from_minor(available, tx.currency).to_string(),
            ));
        }
    }
    if let Some(refund) = facts
        .refunds
        .iter()
        .find(|r| Transaction::counts_as_refunded(r.status))
    {
        let (_, latest) = REFUND_DAYS;
        values.push((
            "refund_amount",
            Money::from_minor(refund.amount_minor, refund.currency).to_string(),
        ));
        values.push(("refund_date", date(refund.created_at)));
        values.push((
            "refund_by",
            calendar
                .add_business_days(refund.created_at, latest)
                .to_string(),
        ));
    }
    // A value the ticket lacks stays visible as a gap the agent fills in.
    for needed in VALUES {
        if !values.iter().any(|(name, _)| *name == needed) {
            values.push((needed, "…".into()));
        }
    }
    Some(i18n::text_with(lang, &format!("macro-{key}"), &values))
}

use crate::db::models::Transaction;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_macro_has_its_texts_in_both_languages() {
        for (_, keys) in &MACROS {
            for key in *keys {
                let values: Vec<(&'static str, String)> =
                    VALUES.iter().map(|name| (*name, "x".to_owned())).collect();
                for lang in Lang::ALL {
                    assert!(
                        i18n::has_with(lang, &format!("macro-{key}"), &values),
                        "macro-{key} {lang:?}"
                    );
                    assert!(
                        i18n::has(lang, &format!("macro-title-{key}")),
                        "macro-title-{key} {lang:?}"
                    );
                }
            }
        }
    }
}

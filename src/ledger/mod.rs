//! The double-entry ledger: accounts with cached totals, append-only
//! transfers (TigerBeetle's model), and the checks that prove it balances.

pub mod verify;

use crate::domain::{AccountKind, Currency, CustomerId};

/// The stable code of an account: `wallet:{customer}:{currency}` for a
/// customer's wallet, `{kind}:{currency}` for the platform's own.
pub fn account_code(kind: AccountKind, customer: Option<CustomerId>, currency: Currency) -> String {
    match customer {
        Some(customer) => format!("{}:{}:{}", kind.as_str(), customer, currency.code()),
        None => format!("{}:{}", kind.as_str(), currency.code()),
    }
}

/// Only customer wallets are protected from overdraft: the platform's and
/// the outside world's accounts are mirrors that may run either way.
pub fn forbids_overdraft(kind: AccountKind) -> bool {
    matches!(kind, AccountKind::CustomerWallet | AccountKind::Escrow)
}

/// An account's four running totals, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl Totals {
    /// Posted credits less posted debits: what a customer owns in a wallet.
    pub fn balance(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }

    /// What a wallet can still send: balance less what is held.
    pub fn available(&self) -> i64 {
        self.balance() - self.debits_pending
    }
}

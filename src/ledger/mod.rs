//! The double-entry ledger: accounts with cached totals, append-only
//! transfers (TigerBeetle's model), and the checks that prove it balances.

pub mod accounts;
pub mod bench;
pub mod remedies;
pub mod transfers;
pub mod verify;

use crate::db::DbError;
use crate::domain::{
    AccountKind, Currency, CustomerId, LedgerAccountId, Money, PaymentMethod, TransferId,
};

/// Why the ledger refused an operation. A refused operation moved nothing.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the amount must be greater than zero")]
    AmountNotPositive,
    #[error("a transfer needs two different accounts")]
    SameAccount,
    #[error("ledger account {0} does not exist")]
    UnknownAccount(LedgerAccountId),
    #[error("account {account} holds {account_currency}, not {amount_currency}")]
    CurrencyMismatch {
        account: String,
        account_currency: Currency,
        amount_currency: Currency,
    },
    #[error("account {account} has {available} available, {needed} is needed")]
    InsufficientFunds {
        account: String,
        available: Money,
        needed: Money,
    },
    #[error("wallet {0} is frozen: it can receive but not send")]
    WalletFrozen(String),
    #[error("idempotency key {0} was already used for a different request")]
    IdempotencyConflict(String),
    #[error("hold {0} does not exist")]
    PendingNotFound(TransferId),
    #[error("transfer {0} is not a hold")]
    NotPending(TransferId),
    #[error("hold {pending} was already resolved by transfer {by}")]
    PendingAlreadyResolved { pending: TransferId, by: TransferId },
    #[error("cannot post {asked}: the hold is for {held}")]
    PostExceedsHold { held: Money, asked: Money },
    #[error(
        "account {0} cannot take this amount: its totals would exceed what the ledger can count"
    )]
    TotalOverflow(String),
    #[error("the ledger is inconsistent: {0}")]
    Inconsistent(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LedgerError {
    /// Whether this failure is a lost race to a unique index (see
    /// `write_transaction_retrying_race`).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, LedgerError::Db(crate::db::DbError::Query(error)) if crate::db::is_unique_violation(error))
    }
}

crate::write_failure!(LedgerError);

impl From<diesel::result::Error> for LedgerError {
    fn from(error: diesel::result::Error) -> Self {
        LedgerError::Db(DbError::Query(error))
    }
}

/// The stable code of an account: `wallet:{customer}:{currency}` for a
/// customer's wallet, `{kind}:{currency}` for the platform's own.
pub fn account_code(kind: AccountKind, customer: Option<CustomerId>, currency: Currency) -> String {
    let prefix = match kind {
        AccountKind::CustomerWallet => "wallet",
        other => other.as_str(),
    };
    match customer {
        Some(customer) => format!("{prefix}:{customer}:{}", currency.code()),
        None => format!("{prefix}:{}", currency.code()),
    }
}

/// What an account code names: its kind and, for a wallet, its customer
/// (the inverse of `account_code`).
pub fn parse_account_code(code: &str) -> Option<(AccountKind, Option<CustomerId>)> {
    let mut parts = code.split(':');
    let kind = match parts.next()? {
        "wallet" => AccountKind::CustomerWallet,
        other => other.parse().ok()?,
    };
    let customer = match (parts.next(), parts.next()) {
        (Some(customer), Some(_)) => Some(CustomerId(customer.parse().ok()?)),
        _ => None,
    };
    Some((kind, customer))
}

/// The account outside the wallet that money paid by `method` comes from
/// or goes to.
pub fn external_account(method: PaymentMethod) -> AccountKind {
    match method {
        PaymentMethod::BankCard | PaymentMethod::Alipay | PaymentMethod::WechatPay => {
            AccountKind::ExternalCard
        }
        PaymentMethod::Crypto => AccountKind::ExternalChain,
        PaymentMethod::BankTransfer | PaymentMethod::WalletBalance => AccountKind::ExternalBank,
    }
}

/// Only customer wallets and escrow are protected from overdraft: the
/// platform's and the outside world's accounts are mirrors that may run
/// either way.
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

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn account_codes_read_back_as_their_kind_and_owner() {
        for (kind, customer) in [
            (AccountKind::CustomerWallet, Some(CustomerId(241))),
            (AccountKind::Escrow, None),
            (AccountKind::MerchantSettlement, None),
        ] {
            let code = account_code(kind, customer, Currency::Usdt);
            assert_eq!(parse_account_code(&code), Some((kind, customer)), "{code}");
        }
        assert_eq!(parse_account_code("nonsense:1:CNY"), None);
        assert_eq!(parse_account_code("wallet:x:CNY"), None);
    }
}

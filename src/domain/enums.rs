//! The enumerations of the data model, kept as TEXT in the database.

use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

/// A value of one of the data model's enumerations: its type's name and
/// its stored code, from which the words people read are looked up.
pub trait Coded: Copy {
    const KIND: &'static str;
    fn code(&self) -> &'static str;
}

impl<C: Coded> Coded for &C {
    const KIND: &'static str = C::KIND;

    fn code(&self) -> &'static str {
        (**self).code()
    }
}

macro_rules! text_enum {
    ($($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? })*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Display, EnumString, EnumIter, IntoStaticStr,
            Serialize, Deserialize, AsExpression, FromSqlRow,
        )]
        #[strum(serialize_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = Text)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// The value as stored and as sent over the API.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl Coded for $name {
            const KIND: &'static str = stringify!($name);

            fn code(&self) -> &'static str {
                self.as_str()
            }
        }

        text_column!($name);
    )*};
}

text_enum! {
    Role { Agent, Supervisor, Admin }

    /// A wallet user's preferred language; e-mails and public pages follow it.
    Locale {
        #[strum(serialize = "zh-CN")]
        #[serde(rename = "zh-CN")]
        ZhCn,
        En,
    }

    CustomerStatus { Active, Frozen, Locked }

    /// Why an account was frozen or locked.
    StatusReason {
        RiskRule,
        ManyCancellations,
        UnverifiedIdentity,
        UserRequest,
        SuspiciousLogin,
        FailedLogins,
    }

    TransactionKind { TopUp, Withdrawal, Payment, Transfer, P2pTrade, Refund }

    TransactionStatus {
        Pending,
        Completed,
        Cancelled,
        Failed,
        Declined,
        AwaitingRelease,
        Released,
        Refunded,
        PartiallyRefunded,
        Reversed,
    }

    PaymentMethod { WalletBalance, BankCard, BankTransfer, Alipay, WechatPay, Crypto }

    /// The playbooks, plus `other`.
    TicketCategory {
        PaymentCancelled,
        RefundNotReceived,
        AccountFrozen,
        AccountLocked,
        PaidNotReleased,
        TopUpFailed,
        WithdrawalDelayed,
        CounterpartyUnpaid,
        TransactionDeclined,
        Other,
    }

    TicketPriority { Low, Normal, High, Urgent }

    TicketStatus { New, Open, Pending, OnHold, Solved, Closed }

    Channel { WebForm, Agent, Api, Email }

    TicketEventKind {
        UserMessage,
        PublicReply,
        InternalNote,
        StatusChange,
        Assignment,
        /// Priority, category or the linked transaction changed.
        FieldChange,
        PlaybookStep,
        RemedyProposed,
        RemedyApproved,
        RemedyRejected,
        RemedyExecuted,
        EmailSent,
        EmailFailed,
        /// An automatic answer (an out-of-office) came back by mail.
        AutoReply,
        /// A mail to the customer bounced.
        MailBounce,
    }

    Actor { Customer, Agent, System }

    /// Who did something the audit log records.
    AuditActor { Agent, System, Api, Cli, Customer }

    /// What a ledger account stands for.
    AccountKind {
        /// A customer's balance in one currency; may not be overdrawn.
        CustomerWallet,
        /// Coins held for P2P trades until released or returned.
        Escrow,
        /// Where refunds are paid from.
        PlatformRefunds,
        PlatformFees,
        /// What merchants are owed for payments made to them.
        MerchantSettlement,
        /// Money at banks outside the wallet (top-ups in, withdrawals out).
        ExternalBank,
        /// Money at the card processor.
        ExternalCard,
        /// Coins on chain outside the wallet.
        ExternalChain,
    }

    /// A transfer is posted at once, or pending (holding funds) until a
    /// second transfer posts or voids it.
    TransferPhase { Posted, Pending, PostPending, VoidPending }

    TransferKind {
        TopUp,
        Payment,
        Withdrawal,
        /// From one customer's wallet to another's.
        WalletTransfer,
        TradeEscrow,
        TradeRelease,
        Refund,
        Credit,
        Fee,
        Reversal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn stored_names_are_snake_case() {
        assert_eq!(TicketStatus::OnHold.as_str(), "on_hold");
        assert_eq!(
            TicketCategory::PaidNotReleased.as_str(),
            "paid_not_released"
        );
        assert_eq!(Locale::ZhCn.as_str(), "zh-CN");
        assert_eq!(
            TransferPhase::from_str("void_pending"),
            Ok(TransferPhase::VoidPending)
        );
        assert!(Role::from_str("root").is_err());
    }
}

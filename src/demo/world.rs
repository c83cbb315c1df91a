//! Builds the demo world in memory, deterministically from a seed and a
//! clock. Every balance comes from a transfer booked through `Book`, which
//! applies the ledger's rules (overdraft protection included) as it goes.

use super::text;
use crate::db::models::{
    Customer, LedgerAccount, LedgerTransfer, Ticket, TicketEvent, Transaction,
};
use crate::domain::*;
use crate::ledger::{Totals, account_code, forbids_overdraft};
use chrono::{Datelike, Duration, NaiveDateTime, Weekday};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use strum::IntoEnumIterator;

/// The accounts and transfers of the world, with running totals.
#[derive(Default)]
pub struct Book {
    pub accounts: Vec<LedgerAccount>,
    pub transfers: Vec<LedgerTransfer>,
    totals: Vec<Totals>,
    platform: BTreeMap<(AccountKind, Currency), LedgerAccountId>,
    key_prefix: String,
}

impl Book {
    fn new(seed: u64) -> Book {
        Book {
            key_prefix: format!("demo-{seed}"),
            ..Book::default()
        }
    }

    fn open(
        &mut self,
        kind: AccountKind,
        customer: Option<CustomerId>,
        currency: Currency,
        at: NaiveDateTime,
    ) -> LedgerAccountId {
        let id = LedgerAccountId(self.accounts.len() as i64 + 1);
        self.accounts.push(LedgerAccount {
            id,
            code: account_code(kind, customer, currency),
            kind,
            customer_id: customer,
            currency,
            debits_posted: 0,
            credits_posted: 0,
            debits_pending: 0,
            credits_pending: 0,
            forbid_overdraft: forbids_overdraft(kind),
            created_at: at,
        });
        self.totals.push(Totals::default());
        id
    }

    /// The platform's account of a kind and currency, opened on first use.
    fn platform(
        &mut self,
        kind: AccountKind,
        currency: Currency,
        at: NaiveDateTime,
    ) -> LedgerAccountId {
        if let Some(id) = self.platform.get(&(kind, currency)) {
            return *id;
        }
        let id = self.open(kind, None, currency, at);
        self.platform.insert((kind, currency), id);
        id
    }

    fn index(id: LedgerAccountId) -> usize {
        (id.0 - 1) as usize
    }

    pub fn available(&self, account: LedgerAccountId) -> i64 {
        self.totals[Self::index(account)].available()
    }

    #[allow(clippy::too_many_arguments)]
    fn book(
        &mut self,
        debit: LedgerAccountId,
        credit: LedgerAccountId,
        amount: i64,
        kind: TransferKind,
        pending: bool,
        transaction: Option<TransactionId>,
        at: NaiveDateTime,
    ) -> TransferId {
        let debit_account = &self.accounts[Self::index(debit)];
        assert!(
            !debit_account.forbid_overdraft || self.available(debit) >= amount,
            "demo world overdrew {}",
            debit_account.code
        );
        let currency = debit_account.currency;
        let id = TransferId(self.transfers.len() as i64 + 1);
        let (d, c) = (Self::index(debit), Self::index(credit));
        if pending {
            self.totals[d].debits_pending += amount;
            self.totals[c].credits_pending += amount;
        } else {
            self.totals[d].debits_posted += amount;
            self.totals[c].credits_posted += amount;
        }
        self.transfers.push(LedgerTransfer {
            id,
            idempotency_key: format!("{}-{}", self.key_prefix, id.0),
            debit_account_id: debit,
            credit_account_id: credit,
            amount_minor: amount,
            currency,
            kind,
            phase: if pending {
                TransferPhase::Pending
            } else {
                TransferPhase::Posted
            },
            pending_id: None,
            transaction_id: transaction,
            ticket_id: None,
            remedy_id: None,
            memo: None,
            created_at: at,
        });
        id
    }

    /// Copies the running totals into the account rows, ready to insert.
    fn settle(&mut self) {
        for (account, totals) in self.accounts.iter_mut().zip(&self.totals) {
            account.debits_posted = totals.debits_posted;
            account.credits_posted = totals.credits_posted;
            account.debits_pending = totals.debits_pending;
            account.credits_pending = totals.credits_pending;
        }
    }
}

pub struct AgentSeat {
    pub id: AgentId,
    pub name: String,
}

pub struct World {
    pub customers: Vec<Customer>,
    pub book: Book,
    pub transactions: Vec<Transaction>,
    pub tickets: Vec<Ticket>,
    pub events: Vec<TicketEvent>,
}

struct Wallets {
    cny: LedgerAccountId,
    usdt: LedgerAccountId,
}

/// The statuses and categories in the order the first tickets walk them, so
/// that every category appears in every status.
const STATUSES: [TicketStatus; 6] = [
    TicketStatus::New,
    TicketStatus::Open,
    TicketStatus::Pending,
    TicketStatus::OnHold,
    TicketStatus::Solved,
    TicketStatus::Closed,
];

/// Customers with fixed roles in the story: the named cases the playbooks need.
const FROZEN_BY_RISK_RULE: usize = 0;
const FROZEN_BY_CANCELLATIONS: usize = 1;
const LOCKED_BY_LOGINS: usize = 2;
pub const MIN_CUSTOMERS: u64 = 10;

pub struct Builder<'a> {
    rng: ChaCha8Rng,
    now: NaiveDateTime,
    seats: &'a [AgentSeat],
    world: World,
    wallets: Vec<Wallets>,
    frozen: Vec<usize>,
    locked: Vec<usize>,
}

impl<'a> Builder<'a> {
    pub fn new(
        rng: ChaCha8Rng,
        seed: u64,
        now: NaiveDateTime,
        seats: &'a [AgentSeat],
    ) -> Builder<'a> {
        Builder {
            rng,
            now,
            seats,
            world: World {
                customers: Vec::new(),
                book: Book::new(seed),
                transactions: Vec::new(),
                tickets: Vec::new(),
                events: Vec::new(),
            },
            wallets: Vec::new(),
            frozen: Vec::new(),
            locked: Vec::new(),
        }
    }

    pub fn build(mut self, customers: u64, tickets: u64) -> World {
        for index in 0..customers as usize {
            self.add_customer(index);
        }
        let categories: Vec<TicketCategory> = TicketCategory::iter().collect();
        for index in 0..tickets as usize {
            let (category, status) = if index < categories.len() * STATUSES.len() {
                (
                    categories[index / STATUSES.len()],
                    STATUSES[index % STATUSES.len()],
                )
            } else {
                (self.random_category(), self.random_status())
            };
            // The first two tickets of a category are its named cases.
            let case = if index < categories.len() * STATUSES.len() {
                index % STATUSES.len()
            } else {
                usize::MAX
            };
            self.add_ticket(category, status, case);
        }
        self.world.book.settle();
        self.world
    }

    fn ago(&self, minutes: i64) -> NaiveDateTime {
        self.now - Duration::minutes(minutes)
    }

    fn add_customer(&mut self, index: usize) {
        let id = CustomerId(index as i64 + 1);
        let zh = self.rng.random_bool(0.55);
        let (name, email_name) = if zh {
            let (surname, surname_py) = *pick(&mut self.rng, text::ZH_SURNAMES);
            let (given, given_py) = *pick(&mut self.rng, text::ZH_GIVEN);
            (
                format!("{surname}{given}"),
                format!("{given_py}.{surname_py}"),
            )
        } else {
            let given = *pick(&mut self.rng, text::EN_GIVEN);
            let surname = *pick(&mut self.rng, text::EN_SURNAMES);
            (
                format!("{given} {surname}"),
                format!("{}.{}", given.to_lowercase(), surname.to_lowercase()),
            )
        };
        let domain = *pick(&mut self.rng, text::MAIL_DOMAINS);
        let age_days = self.rng.random_range(60..720);
        let created_at = self.ago(age_days * 24 * 60);
        let (status, reason) = match index {
            FROZEN_BY_RISK_RULE => (CustomerStatus::Frozen, Some(StatusReason::RiskRule)),
            FROZEN_BY_CANCELLATIONS => (
                CustomerStatus::Frozen,
                Some(StatusReason::ManyCancellations),
            ),
            LOCKED_BY_LOGINS => (CustomerStatus::Locked, Some(StatusReason::FailedLogins)),
            _ => match self.rng.random_range(0..100) {
                0..=2 => {
                    let reasons = [
                        StatusReason::RiskRule,
                        StatusReason::ManyCancellations,
                        StatusReason::UnverifiedIdentity,
                        StatusReason::UserRequest,
                        StatusReason::SuspiciousLogin,
                    ];
                    (CustomerStatus::Frozen, Some(*pick(&mut self.rng, &reasons)))
                }
                3..=4 => (CustomerStatus::Locked, Some(StatusReason::FailedLogins)),
                _ => (CustomerStatus::Active, None),
            },
        };
        let changed_minutes_ago = self.rng.random_range(30..4 * 24 * 60);
        let status_changed_at = reason.map(|_| self.ago(changed_minutes_ago));
        match status {
            CustomerStatus::Frozen => self.frozen.push(index),
            CustomerStatus::Locked => self.locked.push(index),
            CustomerStatus::Active => {}
        }
        let phone = self.rng.random_bool(0.7).then(|| {
            if zh {
                format!("+86 13{:09}", self.rng.random_range(0..1_000_000_000_u64))
            } else {
                format!("+1 555 01{:02}", self.rng.random_range(0..100))
            }
        });
        self.world.customers.push(Customer {
            id,
            external_ref: format!("CU{:08}", index + 1),
            email: format!("{email_name}{}@{domain}", index + 1),
            name,
            phone,
            locale: if zh { Locale::ZhCn } else { Locale::En },
            status,
            status_reason: reason,
            status_changed_at,
            identity_verified: status == CustomerStatus::Active && self.rng.random_bool(0.85),
            created_at,
            updated_at: status_changed_at.unwrap_or(created_at),
        });

        let book = &mut self.world.book;
        let cny = book.open(
            AccountKind::CustomerWallet,
            Some(id),
            Currency::Cny,
            created_at,
        );
        let usdt = book.open(
            AccountKind::CustomerWallet,
            Some(id),
            Currency::Usdt,
            created_at,
        );
        self.wallets.push(Wallets { cny, usdt });

        // Opening balances, then a little history.
        let funded_at = created_at + Duration::hours(1);
        let opening_cny = self.rng.random_range(20_000..200_000) * 100;
        let opening_usdt = self.rng.random_range(1_000..20_000) * 1_000_000;
        self.top_up(index, Currency::Cny, opening_cny, funded_at);
        self.top_up(index, Currency::Usdt, opening_usdt, funded_at);
        let merchant = *pick(&mut self.rng, text::MERCHANTS);
        let paid_at = funded_at + Duration::days(self.rng.random_range(1..30));
        let amount = self.rng.random_range(2_000..80_000);
        let tx = self.transaction(
            index,
            TransactionKind::Payment,
            TransactionStatus::Completed,
            PaymentMethod::WalletBalance,
            amount,
            Currency::Cny,
            paid_at,
        );
        self.world.transactions[tx_index(tx)].counterparty = Some(merchant.to_owned());
        let settlement =
            self.world
                .book
                .platform(AccountKind::MerchantSettlement, Currency::Cny, paid_at);
        self.world.book.book(
            self.wallets[index].cny,
            settlement,
            amount,
            TransferKind::Payment,
            false,
            Some(tx),
            paid_at,
        );

        if index == FROZEN_BY_CANCELLATIONS {
            // The cancellations that tripped the freeze, in the week before it.
            for day in 1..=6 {
                let at = self.ago(day * 20 * 60 + 24 * 60);
                let amount = self.rng.random_range(5_000..50_000);
                let tx = self.transaction(
                    index,
                    TransactionKind::Payment,
                    TransactionStatus::Cancelled,
                    PaymentMethod::WalletBalance,
                    amount,
                    Currency::Cny,
                    at,
                );
                self.world.transactions[tx_index(tx)].counterparty = Some(merchant.to_owned());
            }
        }
    }

    /// Credits a wallet from outside: a completed top-up.
    fn top_up(&mut self, customer: usize, currency: Currency, amount: i64, at: NaiveDateTime) {
        let (method, source_kind) = match currency {
            Currency::Usdt | Currency::Btc => (PaymentMethod::Crypto, AccountKind::ExternalChain),
            Currency::Cny | Currency::Usd => {
                (PaymentMethod::BankTransfer, AccountKind::ExternalBank)
            }
        };
        let tx = self.transaction(
            customer,
            TransactionKind::TopUp,
            TransactionStatus::Completed,
            method,
            amount,
            currency,
            at,
        );
        let source = self.world.book.platform(source_kind, currency, at);
        let wallet = self.wallet(customer, currency);
        self.world.book.book(
            source,
            wallet,
            amount,
            TransferKind::TopUp,
            false,
            Some(tx),
            at,
        );
    }

    fn wallet(&self, customer: usize, currency: Currency) -> LedgerAccountId {
        match currency {
            Currency::Usdt => self.wallets[customer].usdt,
            _ => self.wallets[customer].cny,
        }
    }

    /// Makes sure a wallet can send `amount`, topping it up first if not.
    fn ensure_funds(
        &mut self,
        customer: usize,
        currency: Currency,
        amount: i64,
        before: NaiveDateTime,
    ) {
        let wallet = self.wallet(customer, currency);
        let short = amount - self.world.book.available(wallet);
        if short > 0 {
            self.top_up(
                customer,
                currency,
                short + amount,
                before - Duration::hours(2),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn transaction(
        &mut self,
        customer: usize,
        kind: TransactionKind,
        status: TransactionStatus,
        method: PaymentMethod,
        amount: i64,
        currency: Currency,
        at: NaiveDateTime,
    ) -> TransactionId {
        let id = TransactionId(self.world.transactions.len() as i64 + 1);
        let finished = !matches!(
            status,
            TransactionStatus::Pending | TransactionStatus::AwaitingRelease
        );
        self.world.transactions.push(Transaction {
            id,
            reference: format!("TX{}{:08}", at.format("%Y%m%d"), id.0),
            customer_id: self.world.customers[customer].id,
            kind,
            status,
            method,
            amount_minor: amount,
            currency,
            counterparty: None,
            counterparty_customer_id: None,
            original_transaction_id: None,
            external_ref: None,
            failure_reason: None,
            created_at: at,
            updated_at: at,
            completed_at: finished.then_some(at),
        });
        id
    }

    fn random_category(&mut self) -> TicketCategory {
        use TicketCategory::*;
        const WEIGHTED: [(TicketCategory, u32); 10] = [
            (PaymentCancelled, 14),
            (RefundNotReceived, 16),
            (AccountFrozen, 10),
            (AccountLocked, 6),
            (PaidNotReleased, 14),
            (TopUpFailed, 10),
            (WithdrawalDelayed, 12),
            (CounterpartyUnpaid, 7),
            (TransactionDeclined, 7),
            (Other, 4),
        ];
        weighted(&mut self.rng, &WEIGHTED)
    }

    fn random_status(&mut self) -> TicketStatus {
        use TicketStatus::*;
        weighted(
            &mut self.rng,
            &[
                (New, 10),
                (Open, 28),
                (Pending, 14),
                (OnHold, 6),
                (Solved, 14),
                (Closed, 28),
            ],
        )
    }

    fn random_priority(&mut self, category: TicketCategory) -> TicketPriority {
        use TicketPriority::*;
        let urgent_leaning = matches!(
            category,
            TicketCategory::PaidNotReleased
                | TicketCategory::WithdrawalDelayed
                | TicketCategory::AccountFrozen
        );
        if urgent_leaning {
            weighted(
                &mut self.rng,
                &[(Low, 5), (Normal, 40), (High, 40), (Urgent, 15)],
            )
        } else {
            weighted(
                &mut self.rng,
                &[(Low, 25), (Normal, 50), (High, 20), (Urgent, 5)],
            )
        }
    }

    fn ticket_customer(&mut self, category: TicketCategory, case: usize) -> usize {
        let all = self.world.customers.len();
        match (category, case) {
            (TicketCategory::AccountFrozen, 0) => FROZEN_BY_RISK_RULE,
            (TicketCategory::AccountFrozen, 1) => FROZEN_BY_CANCELLATIONS,
            (TicketCategory::AccountLocked, 0) => LOCKED_BY_LOGINS,
            (TicketCategory::AccountFrozen, _) => *pick(&mut self.rng, &self.frozen),
            (TicketCategory::AccountLocked, _) => *pick(&mut self.rng, &self.locked),
            // The named money cases go to active customers past the fixed ones.
            (_, 0 | 1) => self.rng.random_range(LOCKED_BY_LOGINS + 1..all),
            _ => self.rng.random_range(0..all),
        }
    }

    fn other_customer(&mut self, not: usize) -> usize {
        let all = self.world.customers.len();
        (not + self.rng.random_range(1..all)) % all
    }

    /// When the ticket was opened: the named cases recently, the rest over
    /// the last 60 days, more of them lately.
    fn opened_at(&mut self, case: usize, status: TicketStatus) -> NaiveDateTime {
        let minutes = if case <= 1 && status == TicketStatus::New {
            self.rng.random_range(10..240)
        } else {
            let spread: f64 = self.rng.random();
            // Integer minutes; the float only shapes the spread of dates.
            (spread * spread * 60.0 * 24.0 * 60.0) as i64 + 30
        };
        self.ago(minutes)
    }

    /// Creates the wallet story behind a ticket and returns its transaction.
    fn scenario(
        &mut self,
        category: TicketCategory,
        case: usize,
        customer: usize,
        opened: NaiveDateTime,
    ) -> Option<TransactionId> {
        use TicketCategory::*;
        let book_now = opened - Duration::hours(self.rng.random_range(2..72));
        match category {
            PaymentCancelled => {
                let amount = self.rng.random_range(5_000..300_000);
                let by_card = case > 1 && self.rng.random_bool(0.3);
                let method = if by_card {
                    PaymentMethod::BankCard
                } else {
                    PaymentMethod::WalletBalance
                };
                let tx = self.transaction(
                    customer,
                    TransactionKind::Payment,
                    TransactionStatus::Cancelled,
                    method,
                    amount,
                    Currency::Cny,
                    book_now,
                );
                let merchant = *pick(&mut self.rng, text::MERCHANTS);
                self.world.transactions[tx_index(tx)].counterparty = Some(merchant.to_owned());
                let settlement = self.world.book.platform(
                    AccountKind::MerchantSettlement,
                    Currency::Cny,
                    book_now,
                );
                // Cancelled, yet the charge went through: the case the playbook is for.
                let source = if by_card {
                    self.world
                        .book
                        .platform(AccountKind::ExternalCard, Currency::Cny, book_now)
                } else {
                    self.ensure_funds(customer, Currency::Cny, amount, book_now);
                    self.wallet(customer, Currency::Cny)
                };
                self.world.book.book(
                    source,
                    settlement,
                    amount,
                    TransferKind::Payment,
                    false,
                    Some(tx),
                    book_now,
                );
                Some(tx)
            }
            RefundNotReceived => {
                let business_days = match case {
                    0 => 2,
                    1 => 7,
                    _ => self.rng.random_range(1..10),
                };
                let refunded_at = business_days_before(opened, business_days);
                let paid_at = refunded_at - Duration::days(self.rng.random_range(1..10));
                let amount = self.rng.random_range(5_000..200_000);
                let tx = self.transaction(
                    customer,
                    TransactionKind::Payment,
                    TransactionStatus::Refunded,
                    PaymentMethod::BankCard,
                    amount,
                    Currency::Cny,
                    paid_at,
                );
                let merchant = *pick(&mut self.rng, text::MERCHANTS);
                self.world.transactions[tx_index(tx)].counterparty = Some(merchant.to_owned());
                let card =
                    self.world
                        .book
                        .platform(AccountKind::ExternalCard, Currency::Cny, paid_at);
                let settlement = self.world.book.platform(
                    AccountKind::MerchantSettlement,
                    Currency::Cny,
                    paid_at,
                );
                self.world.book.book(
                    card,
                    settlement,
                    amount,
                    TransferKind::Payment,
                    false,
                    Some(tx),
                    paid_at,
                );
                // The refund is on its way back to the card: held until the bank confirms.
                let refund = self.transaction(
                    customer,
                    TransactionKind::Refund,
                    TransactionStatus::Pending,
                    PaymentMethod::BankCard,
                    amount,
                    Currency::Cny,
                    refunded_at,
                );
                let row = &mut self.world.transactions[tx_index(refund)];
                row.original_transaction_id = Some(tx);
                row.counterparty = Some(merchant.to_owned());
                self.world.transactions[tx_index(tx)].updated_at = refunded_at;
                self.world.book.book(
                    settlement,
                    card,
                    amount,
                    TransferKind::Refund,
                    true,
                    Some(refund),
                    refunded_at,
                );
                Some(tx)
            }
            AccountFrozen | AccountLocked | Other => None,
            PaidNotReleased | CounterpartyUnpaid => {
                let amount = self.rng.random_range(50..3_000) * 1_000_000;
                let other = self.other_customer(customer);
                // Paid-not-released: the ticket's customer bought; unpaid: sold.
                let (seller, status) = if category == PaidNotReleased {
                    (other, TransactionStatus::AwaitingRelease)
                } else {
                    (customer, TransactionStatus::Pending)
                };
                self.ensure_funds(seller, Currency::Usdt, amount, book_now);
                let tx = self.transaction(
                    customer,
                    TransactionKind::P2pTrade,
                    status,
                    PaymentMethod::BankTransfer,
                    amount,
                    Currency::Usdt,
                    book_now,
                );
                let counterparty_name = self.world.customers[other].name.clone();
                let counterparty_id = self.world.customers[other].id;
                let row = &mut self.world.transactions[tx_index(tx)];
                row.counterparty = Some(counterparty_name);
                row.counterparty_customer_id = Some(counterparty_id);
                if category == PaidNotReleased {
                    row.external_ref = Some(format!(
                        "BK{}",
                        self.rng.random_range(100_000_000..999_999_999_u64)
                    ));
                }
                let escrow =
                    self.world
                        .book
                        .platform(AccountKind::Escrow, Currency::Usdt, book_now);
                let seller_wallet = self.wallet(seller, Currency::Usdt);
                self.world.book.book(
                    seller_wallet,
                    escrow,
                    amount,
                    TransferKind::TradeEscrow,
                    true,
                    Some(tx),
                    book_now,
                );
                Some(tx)
            }
            TopUpFailed => {
                let amount = self.rng.random_range(10_000..500_000);
                let method = *pick(
                    &mut self.rng,
                    &[
                        PaymentMethod::BankCard,
                        PaymentMethod::Alipay,
                        PaymentMethod::WechatPay,
                    ],
                );
                let tx = self.transaction(
                    customer,
                    TransactionKind::TopUp,
                    TransactionStatus::Failed,
                    method,
                    amount,
                    Currency::Cny,
                    book_now,
                );
                let row = &mut self.world.transactions[tx_index(tx)];
                // The bank's reference for the charge it made: evidence, no wallet credit.
                row.external_ref = Some(format!(
                    "BK{}",
                    self.rng.random_range(100_000_000..999_999_999_u64)
                ));
                row.failure_reason = Some("channel_timeout".to_owned());
                Some(tx)
            }
            WithdrawalDelayed => {
                let requested = if case == 0 {
                    opened - Duration::hours(3 * 24 - 2)
                } else {
                    opened - Duration::hours(self.rng.random_range(30..6 * 24))
                };
                let amount = self.rng.random_range(10_000..500_000);
                self.ensure_funds(customer, Currency::Cny, amount, requested);
                let tx = self.transaction(
                    customer,
                    TransactionKind::Withdrawal,
                    TransactionStatus::Pending,
                    PaymentMethod::BankTransfer,
                    amount,
                    Currency::Cny,
                    requested,
                );
                let bank = *pick(&mut self.rng, text::BANKS);
                self.world.transactions[tx_index(tx)].counterparty = Some(format!(
                    "{bank} ****{:04}",
                    self.rng.random_range(0..10_000)
                ));
                let external =
                    self.world
                        .book
                        .platform(AccountKind::ExternalBank, Currency::Cny, requested);
                let wallet = self.wallet(customer, Currency::Cny);
                self.world.book.book(
                    wallet,
                    external,
                    amount,
                    TransferKind::Withdrawal,
                    true,
                    Some(tx),
                    requested,
                );
                Some(tx)
            }
            TransactionDeclined => {
                let amount = self.rng.random_range(1_000..1_000_000);
                let tx = self.transaction(
                    customer,
                    TransactionKind::Payment,
                    TransactionStatus::Declined,
                    PaymentMethod::WalletBalance,
                    amount,
                    Currency::Cny,
                    book_now,
                );
                let merchant = *pick(&mut self.rng, text::MERCHANTS);
                let reason = *pick(&mut self.rng, text::DECLINE_REASONS);
                let row = &mut self.world.transactions[tx_index(tx)];
                row.counterparty = Some(merchant.to_owned());
                row.failure_reason = Some(reason.to_owned());
                Some(tx)
            }
        }
    }

    fn add_ticket(&mut self, category: TicketCategory, status: TicketStatus, case: usize) {
        let customer = self.ticket_customer(category, case);
        let opened = self.opened_at(case, status);
        let transaction = self.scenario(category, case, customer, opened);
        let id = TicketId(self.world.tickets.len() as i64 + 1);
        let locale = self.world.customers[customer].locale;
        let (amount, currency, detail) = match transaction {
            Some(tx) => {
                let row = &self.world.transactions[tx_index(tx)];
                let money = Money::from_minor(row.amount_minor, row.currency);
                (
                    Some(row.amount_minor),
                    Some(row.currency),
                    format!("{} {}", row.reference, money),
                )
            }
            None => (None, None, String::new()),
        };
        let channel = weighted(
            &mut self.rng,
            &[
                (Channel::WebForm, 60),
                (Channel::Agent, 25),
                (Channel::Api, 15),
            ],
        );
        let priority = self.random_priority(category);
        let variant = self.rng.random_range(0..2);

        let event = |events: &mut Vec<TicketEvent>,
                     kind,
                     actor,
                     agent: Option<AgentId>,
                     body: Option<String>,
                     data: Option<String>,
                     at| {
            events.push(TicketEvent {
                id: TicketEventId(events.len() as i64 + 1),
                ticket_id: id,
                kind,
                actor,
                agent_id: agent,
                body,
                data,
                created_at: at,
            });
        };
        let events = &mut self.world.events;
        event(
            events,
            TicketEventKind::UserMessage,
            Actor::Customer,
            None,
            Some(text::first_message(category, locale, &detail)),
            None,
            opened,
        );

        let seat = (status != TicketStatus::New)
            .then(|| &self.seats[self.rng.random_range(0..self.seats.len())]);
        let mut last = opened;
        let mut first_responded_at = None;
        let mut solved_at = None;
        let mut closed_at = None;
        let mut sla_paused_at = None;
        if let Some(seat) = seat {
            let replied = opened + Duration::minutes(self.rng.random_range(5..20 * 60));
            let replied = replied.min(self.now);
            event(
                events,
                TicketEventKind::PublicReply,
                Actor::Agent,
                Some(seat.id),
                Some(text::first_reply(locale, &seat.name)),
                None,
                replied,
            );
            first_responded_at = Some(replied);
            last = replied;
            let change = |from: TicketStatus, to: TicketStatus| {
                Some(format!(r#"{{"from":"{from}","to":"{to}"}}"#))
            };
            match status {
                TicketStatus::Pending => {
                    event(
                        events,
                        TicketEventKind::PublicReply,
                        Actor::Agent,
                        Some(seat.id),
                        Some(text::evidence_request(locale).to_owned()),
                        None,
                        replied,
                    );
                    event(
                        events,
                        TicketEventKind::StatusChange,
                        Actor::Agent,
                        Some(seat.id),
                        None,
                        change(TicketStatus::Open, TicketStatus::Pending),
                        replied,
                    );
                    sla_paused_at = Some(replied);
                }
                TicketStatus::OnHold => {
                    event(
                        events,
                        TicketEventKind::InternalNote,
                        Actor::Agent,
                        Some(seat.id),
                        Some(text::ON_HOLD_NOTE.to_owned()),
                        None,
                        replied,
                    );
                    event(
                        events,
                        TicketEventKind::StatusChange,
                        Actor::Agent,
                        Some(seat.id),
                        None,
                        change(TicketStatus::Open, TicketStatus::OnHold),
                        replied,
                    );
                }
                TicketStatus::Solved | TicketStatus::Closed => {
                    let solved = (replied
                        + Duration::minutes(self.rng.random_range(30..3 * 24 * 60)))
                    .min(self.now);
                    event(
                        events,
                        TicketEventKind::PublicReply,
                        Actor::Agent,
                        Some(seat.id),
                        Some(text::solved_reply(locale).to_owned()),
                        None,
                        solved,
                    );
                    event(
                        events,
                        TicketEventKind::StatusChange,
                        Actor::Agent,
                        Some(seat.id),
                        None,
                        change(TicketStatus::Open, TicketStatus::Solved),
                        solved,
                    );
                    solved_at = Some(solved);
                    last = solved;
                    if status == TicketStatus::Closed {
                        let closed = (solved + Duration::days(4)).min(self.now);
                        event(
                            events,
                            TicketEventKind::StatusChange,
                            Actor::System,
                            None,
                            None,
                            change(TicketStatus::Solved, TicketStatus::Closed),
                            closed,
                        );
                        closed_at = Some(closed);
                        last = closed;
                    }
                }
                TicketStatus::New | TicketStatus::Open => {}
            }
        }

        self.world.tickets.push(Ticket {
            id,
            customer_id: self.world.customers[customer].id,
            transaction_id: transaction,
            category,
            priority,
            status,
            assignee_id: seat.map(|seat| seat.id),
            channel,
            subject: text::subject(category, locale, variant).to_owned(),
            amount_minor: amount,
            currency,
            version: 1,
            first_response_due_at: None,
            resolution_due_at: None,
            first_responded_at,
            sla_paused_at,
            solved_at,
            closed_at,
            created_at: opened,
            updated_at: last,
            sla_due_at: None,
            sla_paused_minutes: 0,
        });
    }
}

fn tx_index(id: TransactionId) -> usize {
    (id.0 - 1) as usize
}

fn pick<'t, T>(rng: &mut ChaCha8Rng, items: &'t [T]) -> &'t T {
    // Every list passed here is a non-empty constant or checked non-empty.
    items.choose(rng).unwrap_or(&items[0])
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for (choice, weight) in choices {
        if roll < *weight {
            return *choice;
        }
        roll -= weight;
    }
    choices[choices.len() - 1].0
}

/// The moment `days` working days (Monday to Friday) before `at`.
pub fn business_days_before(at: NaiveDateTime, days: u32) -> NaiveDateTime {
    let mut moment = at;
    let mut left = days;
    while left > 0 {
        moment -= Duration::days(1);
        if !matches!(moment.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    moment
}

# Words for the codes of the data model.

tx-status-pending = pending
tx-status-completed = completed
tx-status-cancelled = cancelled
tx-status-failed = failed
tx-status-declined = declined
tx-status-awaiting-release = awaiting release
tx-status-released = released
tx-status-refunded = refunded
tx-status-partially-refunded = partly refunded
tx-status-reversed = reversed

tx-kind-top-up = top-up
tx-kind-withdrawal = withdrawal
tx-kind-payment = payment
tx-kind-transfer = transfer
tx-kind-p2p-trade = P2P trade
tx-kind-refund = refund

account-state-active = active
account-state-frozen = frozen
account-state-locked = locked

reason-risk-rule = a risk rule
reason-many-cancellations = many cancellations
reason-unverified-identity = identity not verified
reason-user-request = the user's request
reason-suspicious-login = a suspicious sign-in
reason-failed-logins = failed sign-ins

# Labels for the codes of the data model, one per code, looked up by
# `i18n::word` (the lowercase ones above are for use inside sentences).

role-agent = Agent
role-supervisor = Supervisor
role-admin = Admin

locale-zh-CN = 中文 (Chinese)
locale-en = English

customer-status-active = Active
customer-status-frozen = Frozen
customer-status-locked = Locked

status-reason-risk-rule = Risk rule
status-reason-many-cancellations = Many cancellations
status-reason-unverified-identity = Identity not verified
status-reason-user-request = User's request
status-reason-suspicious-login = Suspicious sign-in
status-reason-failed-logins = Failed sign-ins

transaction-kind-top-up = Top-up
transaction-kind-withdrawal = Withdrawal
transaction-kind-payment = Payment
transaction-kind-transfer = Transfer
transaction-kind-p2p-trade = P2P trade
transaction-kind-refund = Refund

transaction-status-pending = Pending
transaction-status-completed = Completed
transaction-status-cancelled = Cancelled
transaction-status-failed = Failed
transaction-status-declined = Declined
transaction-status-awaiting-release = Awaiting release
transaction-status-released = Released
transaction-status-refunded = Refunded
transaction-status-partially-refunded = Partly refunded
transaction-status-reversed = Reversed

payment-method-wallet-balance = Wallet balance
payment-method-bank-card = Bank card
payment-method-bank-transfer = Bank transfer
payment-method-alipay = Alipay
payment-method-wechat-pay = WeChat Pay
payment-method-crypto = Crypto

ticket-category-payment-cancelled = Payment cancelled, still charged
ticket-category-refund-not-received = Refund not received
ticket-category-account-frozen = Account frozen
ticket-category-account-locked = Account locked
ticket-category-paid-not-released = Paid, coins not released
ticket-category-top-up-failed = Top-up failed
ticket-category-withdrawal-delayed = Withdrawal delayed
ticket-category-counterparty-unpaid = Counterparty has not paid
ticket-category-transaction-declined = Transaction declined
ticket-category-other = Other

ticket-priority-low = Low
ticket-priority-normal = Normal
ticket-priority-high = High
ticket-priority-urgent = Urgent

ticket-status-new = New
ticket-status-open = Open
ticket-status-pending = Pending
ticket-status-on-hold = On hold
ticket-status-solved = Solved
ticket-status-closed = Closed

channel-web-form = the web form
channel-agent = an agent
channel-api = the platform API

ticket-event-kind-user-message = Customer message
ticket-event-kind-public-reply = Public reply
ticket-event-kind-internal-note = Internal note
ticket-event-kind-status-change = Status change
ticket-event-kind-assignment = Assignment
ticket-event-kind-field-change = Field change
ticket-event-kind-playbook-step = Playbook step
ticket-event-kind-remedy-proposed = Remedy proposed
ticket-event-kind-remedy-approved = Remedy approved
ticket-event-kind-remedy-rejected = Remedy rejected
ticket-event-kind-remedy-executed = Remedy run
ticket-event-kind-email-sent = E-mail sent
ticket-event-kind-email-failed = E-mail failed

audit-actor-agent = Agent
audit-actor-system = System
audit-actor-api = Platform API
audit-actor-cli = Command line
audit-actor-customer = Customer

account-kind-customer-wallet = Customer wallet
account-kind-escrow = Escrow
account-kind-platform-refunds = Platform refunds
account-kind-platform-fees = Platform fees
account-kind-merchant-settlement = Merchant settlement
account-kind-external-bank = Banks
account-kind-external-card = Card processor
account-kind-external-chain = Blockchain

transfer-phase-posted = Posted
transfer-phase-pending = Held
transfer-phase-post-pending = Hold posted
transfer-phase-void-pending = Hold voided

transfer-kind-top-up = Top-up
transfer-kind-payment = Payment
transfer-kind-withdrawal = Withdrawal
transfer-kind-wallet-transfer = Wallet transfer
transfer-kind-trade-escrow = Trade escrow
transfer-kind-trade-release = Trade release
transfer-kind-refund = Refund
transfer-kind-credit = Credit
transfer-kind-fee = Fee
transfer-kind-reversal = Reversal
channel-email = e-mail
ticket-event-kind-auto-reply = Automatic reply
ticket-event-kind-mail-bounce = Mail bounced

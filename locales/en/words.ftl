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

customer-status-active = active
customer-status-frozen = frozen
customer-status-locked = locked

reason-risk-rule = a risk rule
reason-many-cancellations = many cancellations
reason-unverified-identity = identity not verified
reason-user-request = the user's request
reason-suspicious-login = a suspicious sign-in
reason-failed-logins = failed sign-ins

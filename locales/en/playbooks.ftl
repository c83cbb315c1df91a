# The playbooks: step titles, states, and the evidence auto steps show.

playbook-title = Playbook
playbook-none = This category has no playbook; work the ticket from the timeline.
playbook-progress = { $done } of { $total } steps done
playbook-waits-for = Waits for: { $steps }

state-passed = Passed
state-failed = Failed
state-pending = Pending
state-skipped = Skipped
state-not-applicable = Not applicable

step-payment-cancelled = The payment was cancelled
step-payment-charged = The customer was charged
step-refund = Refund the payment
step-refund-issued = A refund was issued
step-refund-window = The refund is past its 3–5 business day window
step-account-normal = The account is in good standing
step-proof-supplied = The customer sent the transaction number or proof
step-reissue-refund = Issue the refund again
step-freeze-reason = Why and when the account was frozen
step-recent-cancellations = Recent cancelled payments
step-identity-verified = Identity verified
step-password-changed = Password change confirmed
step-unfreeze = Unfreeze the account
step-watch-after-unfreeze = Watch the account after unfreezing
step-lock-confirmed = Locked after failed sign-ins
step-unlock = Unlock the account and send a password reset
step-escrow-held = The coins are held in escrow
step-release-delay = Time since payment against the usual release time
step-buyer-not-frozen = The buyer's wallet can receive
step-payment-evidence = Payment evidence collected (number, time, amount, screenshot)
step-counterparty-contacted = The other side was contacted
step-release = Release the coins to the buyer
step-return-to-seller = Return the coins to the seller
step-top-up-failed = The top-up failed
step-external-charge = The bank or card charge is evidenced
step-no-wallet-credit = The wallet was not credited
step-credit-top-up = Credit the wallet
step-withdrawal-pending = The withdrawal is pending
step-withdrawal-age = The withdrawal is past its 1–3 business days or 48 hours
step-destination-correct = The destination details are correct
step-reverse-withdrawal = Reverse the withdrawal to the wallet
step-trade-open = The trade is still open
step-both-contacted = Both sides were contacted
step-details-correct = The payment details were correct
step-evidence-collected = Evidence collected from both sides
step-balance = The balance covered the amount
step-limits = Single and daily limits
step-risk-check = Risk check
step-merchant-accepts = The merchant accepts this wallet

ev-no-transaction = No transaction is linked to this ticket.
ev-wrong-kind = { $reference } is a { $kind }, not a { $expected }.
ev-no-wallet = The customer has no wallet in this currency.
ev-account-active = The account is active.
ev-account-not-active = The account is { $status } since { $since } ({ $reason }).
ev-frozen = Wallet frozen { $since }: { $reason }.
ev-not-frozen = The account is not frozen: it is { $status }.
ev-locked = Locked { $since } after failed sign-ins.
ev-not-locked = The account is not locked: it is { $status }.
ev-cancellations = { $count } cancelled payments in the last { $days } days.
ev-payment-status = Payment { $reference } of { $amount } ({ $at }) is { $status }.
ev-charged = { $amount } was charged on { $at }.
ev-not-charged = Nothing was charged for { $reference }.
ev-no-refund = No refund has been issued for { $reference }.
ev-refund-issued = Refund { $reference } of { $amount } issued { $date }, { $days } business days ago; it is { $status }.
ev-refund-expected = Expected by { $from } – { $to }; { $days } business days have passed.
ev-refund-overdue = Overdue: it was expected by { $from } – { $to }, and { $days } business days have passed.
ev-refund-arrived = The refund has been paid out; it was expected by { $from } – { $to }.
ev-escrow-held = Escrow hold of { $amount } pending since { $since }, for { $held }.
ev-no-escrow = No coins are held for { $reference } ({ $status }).
ev-trade-settled = Trade { $reference } is { $status }: nothing waits for release.
ev-release-late = Paid { $paid } ago; sellers usually release within { $expected }.
ev-release-within = Paid { $paid } ago; sellers usually release within { $expected }.
ev-buyer-active = { $name }'s wallet can receive.
ev-buyer-frozen = { $name }'s wallet is frozen: released coins could not be used.
ev-top-up-status = Top-up { $reference } of { $amount } ({ $at }) is { $status }; reason: { $reason }.
ev-no-credit = No credit of { $reference } reached the wallet.
ev-credited = The wallet was credited { $amount } on { $at }.
ev-withdrawal-pending = Withdrawal { $reference } of { $amount } is pending since { $at }.
ev-withdrawal-not-pending = Withdrawal { $reference } of { $amount } is { $status }.
ev-withdrawal-late = Pending { $hours } hours ({ $days } business days): past the 1–3 business days, and over 48 hours warrants contact.
ev-withdrawal-within = Pending { $hours } hours ({ $days } business days); expected by { $by }.
ev-trade-status = Trade { $reference } of { $amount } ({ $at }) is { $status }.
ev-balance-short = The wallet has { $available } available; { $amount } was needed.
ev-balance-enough = The wallet has { $available } available, enough for { $amount }.
ev-marked = { $who }, { $at }.
ev-marked-note = { $who }, { $at }: { $note }
step-save = Save
step-note = Note
step-mark = Mark as
step-saved = Step saved.

remedy-amount = Amount
remedy-reason = Reason
remedy-preview = Preview
remedy-confirm = Confirm
remedy-back = Back to the ticket
remedy-effect = What this does to the ledger
remedy-account = Account
remedy-side = Side
remedy-side-debit = money leaves
remedy-side-credit = money arrives
remedy-available-after = Available afterwards
remedy-status-change = The account goes from { $from } to { $to }; no money moves.
remedy-needs-approval = This remedy needs a supervisor's approval: it runs once another person approves it.
remedy-runs-now = This remedy runs as soon as you confirm.
remedy-executed = Remedy done.
remedy-awaiting = Remedy proposed: it waits for a supervisor's approval.
remedy-repeated = This remedy was already submitted; nothing more was done.
step-choose = Choose…

mail-remedy-subject = [{ $ticket }] { $what }
mail-remedy-refund = Your refund has been issued
mail-remedy-release = Your coins have been released
mail-remedy-return-to-seller = Your coins have been returned
mail-remedy-reverse-withdrawal = Your withdrawal has been returned to your wallet
mail-remedy-credit-top-up = Your top-up has been credited
mail-remedy-unfreeze = Your account has been unfrozen
mail-remedy-unlock = Your account has been unlocked
mail-remedy-body-refund = Dear { $name },

    we have refunded { $amount } for { $reference } to your wallet. Refunds normally show within 3–5 business days.

    Ticket { $ticket }
mail-remedy-body-release = Dear { $name },

    the { $amount } of trade { $reference } have been released to your wallet.

    Ticket { $ticket }
mail-remedy-body-return-to-seller = Dear { $name },

    the { $amount } held for trade { $reference } have been returned to the seller's wallet, as the trade was not paid.

    Ticket { $ticket }
mail-remedy-body-reverse-withdrawal = Dear { $name },

    your withdrawal { $reference } of { $amount } has been stopped, and the amount is back in your wallet.

    Ticket { $ticket }
mail-remedy-body-credit-top-up = Dear { $name },

    your top-up { $reference } of { $amount } has been credited to your wallet.

    Ticket { $ticket }
mail-remedy-body-unfreeze = Dear { $name },

    your account has been unfrozen; you can send money again.

    Ticket { $ticket }
mail-remedy-body-unlock = Dear { $name },

    your account has been unlocked. Please set a new password when you next sign in.

    Ticket { $ticket }

approvals-title = Remedies awaiting approval
approvals-none = Nothing waits for approval.
approvals-proposed = Proposed by { $who }, { $at }
approvals-yours = You proposed this: another supervisor decides it.
approvals-password = Your password
approvals-approve = Approve and run
approvals-reject-reason = Why not
approvals-reject = Reject
approvals-wrong-password = The password is wrong: nothing was approved.
approvals-approved = Approved and done: { $ticket }.
approvals-rejected = Rejected: { $ticket }.
ev-remedy-done = Done { $at }: { $amount }.
ev-remedy-awaiting = Proposed { $at } ({ $amount }): waiting for a supervisor's approval.
ev-remedy-rejected = Rejected { $at }: { $reason }
mail-remedy-reissue-refund = Your refund has been issued again
mail-remedy-body-reissue-refund = Dear { $name },

    your earlier refund for { $reference } did not arrive, so we have refunded { $amount } again, this time to your wallet.

    Ticket { $ticket }

# Refusals of remedies and playbook steps.
refusal-kind-awaiting = a remedy of this kind already waits for approval on this ticket
refusal-account-status = the account is { $status }, not { $expected }
refusal-no-pending-refund = { $reference } has no pending refund to issue again
refusal-amount = amount: { $problem }
refusal-no-buyer = { $reference } has no buyer
refusal-no-money = no money moves
refusal-reason = reason: { $problem }
refusal-form-damaged = the form is damaged: reload the page
refusal-form-other-amount = this form was already sent for another amount: reload the page
refusal-stale-page = another remedy was proposed on this ticket meanwhile: look at the page again
refusal-remedy-decided = remedy { $remedy } was decided by someone else meanwhile
refusal-changed-meanwhile = { $reference } changed meanwhile; nothing was done
refusal-remedy-now = remedy { $remedy } is { $status } now; nothing was done
refusal-supervisors-only = only supervisors decide remedies
refusal-own-remedy = you proposed this remedy: another supervisor must decide it
refusal-remedy-mismatch = remedy { $remedy } no longer matches its ticket (its transaction or amount changed); reject it and propose it again
refusal-no-step = this ticket's playbook has no step '{ $step }' an agent marks
refusal-skip-needs-note = say why the step is skipped: a skip needs a note
refusal-remedy-waits = this remedy waits for: { $steps }

remedy-status-proposed = proposed
remedy-status-approved = approved
remedy-status-rejected = rejected
remedy-status-executed = done
remedy-status-failed = failed
remedy-status-cancelled = cancelled
remedy-status-gone = gone

timeline-remedy-proposed = proposed: { $what } { $amount }
timeline-remedy-awaiting = (awaiting approval)
timeline-remedy-approved = approved: { $what }
timeline-remedy-rejected = rejected: { $what }
timeline-remedy-executed = done: { $what } { $amount }
timeline-step = step: { $step } · { $state }

thresholds-title = Approval thresholds
thresholds-help = A remedy above its currency's threshold waits for a supervisor who did not propose it. Unfreezing an account a risk rule froze always does. 0 sends every remedy in that currency for approval.
thresholds-none = no approval needed
thresholds-saved = Thresholds saved.

refusal-already-refunded = { $reference } is already fully refunded ({ $refunded } of { $paid })
refusal-exceeds-refundable = { $reference }: at most { $refundable } can still be refunded ({ $refunded } of { $paid } already), not { $asked }
refusal-nothing-charged = nothing was charged for { $reference }, so there is nothing to refund
refusal-wrong-status = { $reference } is { $status }: this remedy does not apply to it now
refusal-no-hold = { $reference } holds no funds to release or return
refusal-already-credited = { $reference } was already credited to the wallet
refusal-insufficient-funds = account { $account } has { $available } available, { $needed } is needed
refusal-wallet-frozen = wallet { $account } is frozen: it can receive but not send

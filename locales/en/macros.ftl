# Reply macros: texts to the customer, filled from the playbook.

macro-title-payment-refunded = Refunded
macro-payment-refunded = Dear { $name },

    we have refunded { $amount } for your cancelled payment { $reference } to your wallet. Refunds normally show within 3–5 business days.
macro-title-payment-not-charged = Not charged
macro-payment-not-charged = Dear { $name },

    we checked payment { $reference }: it was cancelled before any money was taken, so there is nothing to refund. If your bank shows a charge, it is a temporary hold that your bank releases by itself.
macro-title-refund-expected = Refund on its way
macro-refund-expected = Dear { $name },

    a refund of { $refund_amount } was issued on { $refund_date }. Refunds take 3–5 business days, so please expect it by { $refund_by }.
macro-title-refund-reissued = Refund issued again
macro-refund-reissued = Dear { $name },

    we are sorry the refund for { $reference } has not reached you. We have issued it again; please allow 3–5 business days.
macro-title-identity-needed = Identity check needed
macro-identity-needed = Dear { $name },

    to unfreeze your account we need to confirm your identity. Please reply with a photo of your ID and a recent transaction number, and change your password.
macro-title-account-unfrozen = Unfrozen
macro-account-unfrozen = Dear { $name },

    your account has been unfrozen and you can send money again. For your safety we will keep an eye on it for a while.
macro-title-account-unlocked = Unlocked
macro-account-unlocked = Dear { $name },

    your account was locked after several failed sign-ins. We have unlocked it; please set a new password when you next sign in.
macro-title-coins-held = Coins held for you
macro-coins-held = Dear { $name },

    your payment for trade { $reference } is recorded and the { $amount } are held safely for you. We have asked the seller to release them.
macro-title-coins-released = Coins released
macro-coins-released = Dear { $name },

    the { $amount } of trade { $reference } have been released to your wallet.
macro-title-top-up-checking = Checking with the bank
macro-top-up-checking = Dear { $name },

    your top-up { $reference } of { $amount } on { $date } did not complete. Please send us the bank statement line showing the charge, and we will credit your wallet.
macro-title-top-up-credited = Credited
macro-top-up-credited = Dear { $name },

    we have credited { $amount } for your top-up { $reference } to your wallet.
macro-title-withdrawal-expected = Withdrawal on its way
macro-withdrawal-expected = Dear { $name },

    your withdrawal { $reference } of { $amount } from { $date } is being processed. Withdrawals take 1–3 business days, so please expect it by { $withdrawal_by }.
macro-title-withdrawal-returned = Withdrawal returned
macro-withdrawal-returned = Dear { $name },

    we stopped your withdrawal { $reference } and returned { $amount } to your wallet. Please check the destination details before trying again.
macro-title-evidence-request = Ask for evidence
macro-evidence-request = Dear { $name },

    to settle trade { $reference } we need evidence of the payment: the transfer number, its time and amount, and a screenshot. Please reply with them; we have asked the other side too.
macro-title-declined-balance = Declined for balance
macro-declined-balance = Dear { $name },

    your payment { $reference } of { $amount } was declined because your wallet had { $available } available. Please top up and try again.
macros-label = Fill in a reply:

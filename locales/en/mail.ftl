# Mails to wallet users.
mail-solved-subject = [{ $ticket }] Your request is solved: { $subject }
mail-solved-body = We have marked your request “{ $subject }” as solved. If anything is still wrong, just reply to this e-mail and the ticket opens again.
mail-no-subject = (no subject)
mail-greeting = Dear { $name },
mail-signature = Redress support
mail-reference = Ticket { $ticket }
mail-reply-hint = To add anything, just reply to this e-mail and keep { $ticket } in the subject.
mail-reply-subject = Re: { $subject } [{ $ticket }]
mail-reply-intro = { $agent } answered your request “{ $subject }”:

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
mail-received-subject = [{ $ticket }] We received your dispute: { $category }
mail-received-body = We have received your dispute about “{ $category }”; its reference is { $ticket }. An agent will answer by { $due }.
mail-received-track = See where it stands, reply or add evidence here (keep this link to yourself):

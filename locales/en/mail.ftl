# Mails to wallet users.
mail-solved-subject = [{ $ticket }] Your request is solved: { $subject }
mail-solved-body = Dear { $name },

    we have marked your request “{ $subject }” as solved. If anything is still wrong, just reply to this e-mail and the ticket opens again.

    Ticket { $ticket }

# 发给钱包用户的邮件。
mail-solved-subject = [{ $ticket }] 您的问题已解决：{ $subject }
mail-solved-body = { $name }，您好：

    您反映的“{ $subject }”已处理完毕，工单已标记为已解决。如果仍有问题，直接回复本邮件，工单会重新打开。

    工单 { $ticket }

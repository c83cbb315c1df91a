# 发给钱包用户的邮件。
mail-solved-subject = [{ $ticket }] 您的问题已解决：{ $subject }
mail-solved-body = 您反映的“{ $subject }”已处理完毕，工单已标记为已解决。如果仍有问题，直接回复本邮件，工单会重新打开。
mail-no-subject = （无主题）
mail-greeting = { $name }，您好：
mail-signature = Redress 客服中心
mail-reference = 工单 { $ticket }
mail-reply-hint = 如需补充，直接回复本邮件即可，请保留主题中的 { $ticket }。
mail-reply-subject = 回复：{ $subject } [{ $ticket }]
mail-reply-intro = 客服 { $agent } 回复了您的问题“{ $subject }”：
mail-received-subject = [{ $ticket }] 我们已收到您的申诉：{ $category }
mail-received-body = 我们已收到您关于“{ $category }”的申诉，编号 { $ticket }。客服将在 { $due } 前答复。
mail-received-track = 查看进度、回复或补充证据请打开下面的链接（请勿转给他人）：

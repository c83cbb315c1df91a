# 回复模板：根据处理流程填写的给客户的文字。

macro-title-payment-refunded = 已退款
macro-payment-refunded = { $name }，您好：

    您已取消的付款 { $reference } 的 { $amount } 已退回您的钱包，通常在 3–5 个工作日内到账。
macro-title-payment-not-charged = 未扣款
macro-payment-not-charged = { $name }，您好：

    我们核查了付款 { $reference }：该付款在扣款前已取消，因此无需退款。如果银行显示有扣款，那是临时冻结，银行会自动解除。
macro-title-refund-expected = 退款处理中
macro-refund-expected = { $name }，您好：

    { $refund_amount } 的退款已于 { $refund_date } 发起。退款需要 3–5 个工作日，预计 { $refund_by } 前到账。
macro-title-refund-reissued = 已重新退款
macro-refund-reissued = { $name }，您好：

    很抱歉 { $reference } 的退款尚未到账。我们已重新发起退款，请等待 3–5 个工作日。
macro-title-identity-needed = 需要核实身份
macro-identity-needed = { $name }，您好：

    为解冻您的账户，我们需要核实您的身份。请回复您的证件照片和一笔近期交易号，并修改密码。
macro-title-account-unfrozen = 已解冻
macro-account-unfrozen = { $name }，您好：

    您的账户已解冻，可以正常转出资金。为保障安全，我们会继续关注一段时间。
macro-title-account-unlocked = 已解锁
macro-account-unlocked = { $name }，您好：

    您的账户因多次登录失败被锁定，现已解锁。下次登录时请设置新密码。
macro-title-coins-held = 币已托管
macro-coins-held = { $name }，您好：

    交易 { $reference } 的付款已记录，{ $amount } 已为您安全托管。我们已联系卖家放币。
macro-title-coins-released = 已放币
macro-coins-released = { $name }，您好：

    交易 { $reference } 的 { $amount } 已放入您的钱包。
macro-title-top-up-checking = 正在与银行核实
macro-top-up-checking = { $name }，您好：

    您于 { $date } 的充值 { $reference }（{ $amount }）未完成。请发送显示扣款的银行流水，我们会为您的钱包入账。
macro-title-top-up-credited = 已入账
macro-top-up-credited = { $name }，您好：

    您的充值 { $reference } 的 { $amount } 已入账到您的钱包。
macro-title-withdrawal-expected = 提现处理中
macro-withdrawal-expected = { $name }，您好：

    您于 { $date } 发起的提现 { $reference }（{ $amount }）正在处理。提现需要 1–3 个工作日，预计 { $withdrawal_by } 前到账。
macro-title-withdrawal-returned = 提现已退回
macro-withdrawal-returned = { $name }，您好：

    我们已撤回您的提现 { $reference }，{ $amount } 已退回您的钱包。请核对收款信息后再试。
macro-title-evidence-request = 请求提供证据
macro-evidence-request = { $name }，您好：

    为处理交易 { $reference }，我们需要付款凭证：转账单号、时间、金额和截图。请回复提供，我们也已联系对方。
macro-title-declined-balance = 余额不足被拒
macro-declined-balance = { $name }，您好：

    您的付款 { $reference }（{ $amount }）因钱包可用余额仅 { $available } 而被拒绝。请充值后再试。
macros-label = 填入回复：

# 处理流程：步骤名称、状态，以及自动步骤显示的依据。

playbook-title = 处理流程
playbook-none = 此类别没有处理流程，请根据时间线处理工单。
playbook-progress = 已完成 { $done }/{ $total } 步
playbook-waits-for = 需先完成：{ $steps }

state-passed = 通过
state-failed = 未通过
state-pending = 待处理
state-skipped = 已跳过
state-not-applicable = 不适用

step-payment-cancelled = 付款已取消
step-payment-charged = 客户已被扣款
step-refund = 退还该笔付款
step-refund-issued = 已发起退款
step-refund-window = 退款已超过 3–5 个工作日
step-account-normal = 账户状态正常
step-proof-supplied = 客户已提供交易号或凭证
step-reissue-refund = 重新发起退款
step-freeze-reason = 冻结原因与时间
step-recent-cancellations = 近期取消的付款
step-identity-verified = 身份已核实
step-password-changed = 已确认修改密码
step-unfreeze = 解冻账户
step-watch-after-unfreeze = 解冻后持续关注账户
step-lock-confirmed = 因登录失败被锁定
step-unlock = 解锁账户并发送重置密码邮件
step-escrow-held = 币已由平台托管
step-release-delay = 付款后经过的时间与通常放币时间的比较
step-buyer-not-frozen = 买家钱包可以收款
step-payment-evidence = 已收集付款凭证（单号、时间、金额、截图）
step-counterparty-contacted = 已联系对方
step-release = 向买家放币
step-return-to-seller = 将币退回卖家
step-top-up-failed = 充值失败
step-external-charge = 银行或银行卡扣款有凭证
step-no-wallet-credit = 钱包未入账
step-credit-top-up = 为钱包入账
step-withdrawal-pending = 提现处理中
step-withdrawal-age = 提现已超过 1–3 个工作日或 48 小时
step-destination-correct = 收款信息正确
step-reverse-withdrawal = 撤回提现，资金退回钱包
step-trade-open = 交易仍未结束
step-both-contacted = 已联系双方
step-details-correct = 付款信息正确
step-evidence-collected = 已收集双方证据
step-balance = 余额足以支付
step-limits = 单笔及每日限额
step-risk-check = 风控检查
step-merchant-accepts = 商户支持此钱包

ev-no-transaction = 此工单未关联交易。
ev-wrong-kind = { $reference } 是{ $kind }，不是{ $expected }。
ev-no-wallet = 客户没有该币种的钱包。
ev-account-active = 账户状态正常。
ev-account-not-active = 账户自 { $since } 起为{ $status }（{ $reason }）。
ev-frozen = 钱包于 { $since } 被冻结：{ $reason }。
ev-not-frozen = 账户未被冻结，当前为{ $status }。
ev-locked = 因登录失败于 { $since } 被锁定。
ev-not-locked = 账户未被锁定，当前为{ $status }。
ev-cancellations = 最近 { $days } 天内取消了 { $count } 笔付款。
ev-payment-status = 付款 { $reference }，金额 { $amount }（{ $at }），状态：{ $status }。
ev-charged = 已于 { $at } 扣款 { $amount }。
ev-not-charged = { $reference } 未发生扣款。
ev-no-refund = { $reference } 尚未发起退款。
ev-refund-issued = 退款 { $reference }，金额 { $amount }，于 { $date } 发起，已过 { $days } 个工作日；状态：{ $status }。
ev-refund-expected = 预计 { $from } 至 { $to } 到账；已过 { $days } 个工作日。
ev-refund-overdue = 已逾期：原预计 { $from } 至 { $to } 到账，已过 { $days } 个工作日。
ev-refund-arrived = 退款已支付；原预计 { $from } 至 { $to } 到账。
ev-escrow-held = 托管冻结 { $amount }，自 { $since } 起，已 { $held }。
ev-no-escrow = { $reference } 没有托管中的币（{ $status }）。
ev-trade-settled = 交易 { $reference } 为{ $status }，没有待放的币。
ev-release-late = 已付款 { $paid }；卖家通常在 { $expected }内放币。
ev-release-within = 已付款 { $paid }；卖家通常在 { $expected }内放币。
ev-buyer-active = { $name } 的钱包可以收款。
ev-buyer-frozen = { $name } 的钱包已冻结，放出的币将无法使用。
ev-top-up-status = 充值 { $reference }，金额 { $amount }（{ $at }），状态：{ $status }；原因：{ $reason }。
ev-no-credit = { $reference } 未入账到钱包。
ev-credited = 钱包已于 { $at } 入账 { $amount }。
ev-withdrawal-pending = 提现 { $reference }，金额 { $amount }，自 { $at } 起处理中。
ev-withdrawal-not-pending = 提现 { $reference }，金额 { $amount }，状态：{ $status }。
ev-withdrawal-late = 已处理 { $hours } 小时（{ $days } 个工作日）：超过 1–3 个工作日，超过 48 小时应联系客户。
ev-withdrawal-within = 已处理 { $hours } 小时（{ $days } 个工作日）；预计 { $by } 前到账。
ev-trade-status = 交易 { $reference }，金额 { $amount }（{ $at }），状态：{ $status }。
ev-balance-short = 钱包可用 { $available }，需要 { $amount }。
ev-balance-enough = 钱包可用 { $available }，足以支付 { $amount }。
ev-marked = { $who }，{ $at }。
ev-marked-note = { $who }，{ $at }：{ $note }
step-save = 保存
step-note = 备注
step-mark = 标记为
step-saved = 步骤已保存。

remedy-amount = 金额
remedy-reason = 原因
remedy-preview = 预览
remedy-confirm = 确认
remedy-back = 返回工单
remedy-effect = 对账本的影响
remedy-account = 账户
remedy-side = 方向
remedy-side-debit = 转出
remedy-side-credit = 转入
remedy-available-after = 之后可用
remedy-status-change = 账户将由{ $from }变为{ $to }，不涉及资金。
remedy-needs-approval = 此补救措施需要主管批准：另一人批准后才会执行。
remedy-runs-now = 确认后立即执行此补救措施。
remedy-executed = 补救措施已完成。
remedy-awaiting = 补救措施已提交，等待主管批准。
remedy-repeated = 此补救措施已提交过，未重复执行。
step-choose = 请选择…

mail-remedy-subject = [{ $ticket }] { $what }
mail-remedy-refund = 您的退款已发起
mail-remedy-release = 您的币已放出
mail-remedy-return-to-seller = 您的币已退回
mail-remedy-reverse-withdrawal = 您的提现已退回钱包
mail-remedy-credit-top-up = 您的充值已入账
mail-remedy-unfreeze = 您的账户已解冻
mail-remedy-unlock = 您的账户已解锁
mail-remedy-body-refund = { $name }，您好：

    我们已将 { $reference } 的 { $amount } 退回您的钱包。退款通常在 3–5 个工作日内到账。

    工单 { $ticket }
mail-remedy-body-release = { $name }，您好：

    交易 { $reference } 的 { $amount } 已放入您的钱包。

    工单 { $ticket }
mail-remedy-body-return-to-seller = { $name }，您好：

    由于交易 { $reference } 未付款，托管的 { $amount } 已退回卖家钱包。

    工单 { $ticket }
mail-remedy-body-reverse-withdrawal = { $name }，您好：

    您的提现 { $reference }（{ $amount }）已撤回，款项已回到您的钱包。

    工单 { $ticket }
mail-remedy-body-credit-top-up = { $name }，您好：

    您的充值 { $reference }（{ $amount }）已入账到您的钱包。

    工单 { $ticket }
mail-remedy-body-unfreeze = { $name }，您好：

    您的账户已解冻，可以正常转出资金。

    工单 { $ticket }
mail-remedy-body-unlock = { $name }，您好：

    您的账户已解锁。下次登录时请设置新密码。

    工单 { $ticket }

approvals-title = 待批准的补救措施
approvals-none = 没有待批准的补救措施。
approvals-proposed = 由 { $who } 于 { $at } 提出
approvals-yours = 这是您提出的，需由另一位主管决定。
approvals-password = 您的密码
approvals-approve = 批准并执行
approvals-reject-reason = 拒绝原因
approvals-reject = 拒绝
approvals-wrong-password = 密码错误，未批准任何操作。
approvals-approved = 已批准并执行：{ $ticket }。
approvals-rejected = 已拒绝：{ $ticket }。
ev-remedy-done = 已于 { $at } 完成：{ $amount }。
ev-remedy-awaiting = 已于 { $at } 提出（{ $amount }），等待主管批准。
ev-remedy-rejected = 已于 { $at } 被拒绝：{ $reason }
mail-remedy-reissue-refund = 您的退款已重新发起
mail-remedy-body-reissue-refund = { $name }，您好：

    您此前 { $reference } 的退款未能到账，我们已将 { $amount } 重新退回到您的钱包。

    工单 { $ticket }

# 补救措施与流程步骤的拒绝说明。
refusal-kind-awaiting = 此工单已有同类补救措施在等待批准
refusal-account-status = 账户当前为{ $status }，不是{ $expected }
refusal-no-pending-refund = { $reference } 没有可重新发起的处理中退款
refusal-amount = 金额：{ $problem }
refusal-no-buyer = { $reference } 没有买家
refusal-no-money = 不涉及资金
refusal-reason = 原因：{ $problem }
refusal-form-damaged = 表单已损坏，请刷新页面
refusal-form-other-amount = 此表单已以其他金额提交过，请刷新页面
refusal-stale-page = 此工单期间已有其他补救措施被提出，请重新查看页面
refusal-remedy-decided = 补救措施 { $remedy } 已被他人处理
refusal-changed-meanwhile = { $reference } 期间已变更，未执行任何操作
refusal-remedy-now = 补救措施 { $remedy } 当前为{ $status }，未执行任何操作
refusal-supervisors-only = 只有主管可以决定补救措施
refusal-own-remedy = 这是您提出的补救措施，需由另一位主管决定
refusal-remedy-mismatch = 补救措施 { $remedy } 与工单不再一致（交易或金额已变），请拒绝后重新提出
refusal-no-step = 此工单的处理流程中没有可由客服标记的步骤“{ $step }”
refusal-skip-needs-note = 请说明跳过原因：跳过步骤需要备注
refusal-remedy-waits = 此补救措施需先完成：{ $steps }

remedy-status-proposed = 已提出
remedy-status-approved = 已批准
remedy-status-rejected = 已拒绝
remedy-status-executed = 已完成
remedy-status-failed = 失败
remedy-status-cancelled = 已取消
remedy-status-gone = 不存在

timeline-remedy-proposed = 提出：{ $what } { $amount }
timeline-remedy-awaiting = （等待批准）
timeline-remedy-approved = 批准：{ $what }
timeline-remedy-rejected = 拒绝：{ $what }
timeline-remedy-executed = 完成：{ $what } { $amount }
timeline-step = 步骤：{ $step } · { $state }

thresholds-title = 审批金额门槛
thresholds-help = 超过所在币种门槛的补救措施需由未提出该措施的主管批准。解冻因风控规则冻结的账户始终需要批准。填 0 表示该币种的所有补救措施都需批准。
thresholds-none = 无需审批
thresholds-saved = 门槛已保存。

refusal-already-refunded = { $reference } 已全额退款（已退 { $refunded }，共 { $paid }）
refusal-exceeds-refundable = { $reference }：最多还可退款 { $refundable }（已退 { $refunded }，共 { $paid }），不能退 { $asked }
refusal-nothing-charged = { $reference } 未发生扣款，无需退款
refusal-wrong-status = { $reference } 当前为{ $status }，此补救措施目前不适用
refusal-no-hold = { $reference } 没有可放出或退回的冻结资金
refusal-already-credited = { $reference } 已入账到钱包
refusal-insufficient-funds = 账户 { $account } 可用 { $available }，需要 { $needed }
refusal-wallet-frozen = 钱包 { $account } 已冻结：只能收款，不能转出

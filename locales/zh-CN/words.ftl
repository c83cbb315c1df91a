# 数据模型代码对应的文字。

tx-status-pending = 处理中
tx-status-completed = 已完成
tx-status-cancelled = 已取消
tx-status-failed = 失败
tx-status-declined = 被拒绝
tx-status-awaiting-release = 等待放币
tx-status-released = 已放币
tx-status-refunded = 已退款
tx-status-partially-refunded = 部分退款
tx-status-reversed = 已撤回

tx-kind-top-up = 充值
tx-kind-withdrawal = 提现
tx-kind-payment = 付款
tx-kind-transfer = 转账
tx-kind-p2p-trade = P2P 交易
tx-kind-refund = 退款

account-state-active = 正常
account-state-frozen = 冻结
account-state-locked = 锁定

reason-risk-rule = 风控规则
reason-many-cancellations = 多次取消
reason-unverified-identity = 身份未核实
reason-user-request = 用户申请
reason-suspicious-login = 可疑登录
reason-failed-logins = 登录失败

# 数据模型代码的标签，每个代码一条，由 `i18n::word` 查找（上面的小写词用于句中）。

role-agent = 客服
role-supervisor = 主管
role-admin = 管理员

locale-zh-CN = 中文
locale-en = English（英文）

customer-status-active = 正常
customer-status-frozen = 已冻结
customer-status-locked = 已锁定

status-reason-risk-rule = 风控规则
status-reason-many-cancellations = 多次取消
status-reason-unverified-identity = 身份未认证
status-reason-user-request = 用户申请
status-reason-suspicious-login = 可疑登录
status-reason-failed-logins = 多次登录失败

transaction-kind-top-up = 充值
transaction-kind-withdrawal = 提现
transaction-kind-payment = 付款
transaction-kind-transfer = 转账
transaction-kind-p2p-trade = P2P 交易
transaction-kind-refund = 退款

transaction-status-pending = 处理中
transaction-status-completed = 已完成
transaction-status-cancelled = 已取消
transaction-status-failed = 失败
transaction-status-declined = 被拒绝
transaction-status-awaiting-release = 等待放币
transaction-status-released = 已放币
transaction-status-refunded = 已退款
transaction-status-partially-refunded = 部分退款
transaction-status-reversed = 已冲正

payment-method-wallet-balance = 钱包余额
payment-method-bank-card = 银行卡
payment-method-bank-transfer = 银行转账
payment-method-alipay = 支付宝
payment-method-wechat-pay = 微信支付
payment-method-crypto = 加密货币

ticket-category-payment-cancelled = 付款已取消仍被扣款
ticket-category-refund-not-received = 退款未到账
ticket-category-account-frozen = 账户被冻结
ticket-category-account-locked = 账户被锁定
ticket-category-paid-not-released = 已付款未放币
ticket-category-top-up-failed = 充值失败
ticket-category-withdrawal-delayed = 提现延迟
ticket-category-counterparty-unpaid = 对方未付款
ticket-category-transaction-declined = 交易被拒绝
ticket-category-other = 其他

ticket-priority-low = 低
ticket-priority-normal = 普通
ticket-priority-high = 高
ticket-priority-urgent = 紧急

ticket-status-new = 新建
ticket-status-open = 处理中
ticket-status-pending = 待用户回复
ticket-status-on-hold = 等待中
ticket-status-solved = 已解决
ticket-status-closed = 已关闭

channel-web-form = 网页表单
channel-agent = 客服录入
channel-api = 平台接口

ticket-event-kind-user-message = 用户留言
ticket-event-kind-public-reply = 公开回复
ticket-event-kind-internal-note = 内部备注
ticket-event-kind-status-change = 状态变更
ticket-event-kind-assignment = 分配
ticket-event-kind-field-change = 字段变更
ticket-event-kind-playbook-step = 排查步骤
ticket-event-kind-remedy-proposed = 补救已提议
ticket-event-kind-remedy-approved = 补救已批准
ticket-event-kind-remedy-rejected = 补救被驳回
ticket-event-kind-remedy-executed = 补救已执行
ticket-event-kind-email-sent = 邮件已发送
ticket-event-kind-email-failed = 邮件发送失败

audit-actor-agent = 客服
audit-actor-system = 系统
audit-actor-api = 平台接口
audit-actor-cli = 命令行
audit-actor-customer = 用户

account-kind-customer-wallet = 用户钱包
account-kind-escrow = 托管
account-kind-platform-refunds = 平台退款
account-kind-platform-fees = 平台手续费
account-kind-merchant-settlement = 商户结算
account-kind-external-bank = 银行
account-kind-external-card = 卡组织
account-kind-external-chain = 区块链

transfer-phase-posted = 已入账
transfer-phase-pending = 冻结中
transfer-phase-post-pending = 冻结已入账
transfer-phase-void-pending = 冻结已撤销

transfer-kind-top-up = 充值
transfer-kind-payment = 付款
transfer-kind-withdrawal = 提现
transfer-kind-wallet-transfer = 钱包转账
transfer-kind-trade-escrow = 交易托管
transfer-kind-trade-release = 交易放币
transfer-kind-refund = 退款
transfer-kind-credit = 补偿入账
transfer-kind-fee = 手续费
transfer-kind-reversal = 冲正
channel-email = 电子邮件
ticket-event-kind-auto-reply = 自动回复
ticket-event-kind-mail-bounce = 邮件被退回

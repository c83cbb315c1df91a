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

customer-status-active = 正常
customer-status-frozen = 冻结
customer-status-locked = 锁定

reason-risk-rule = 风控规则
reason-many-cancellations = 多次取消
reason-unverified-identity = 身份未核实
reason-user-request = 用户申请
reason-suspicious-login = 可疑登录
reason-failed-logins = 登录失败

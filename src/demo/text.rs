//! Names and words for the demo world, in Chinese and English. Written for
//! Redress; the facts behind the complaints come from the help articles.

use crate::domain::{Locale, TicketCategory};

/// (surname, pinyin)
pub const ZH_SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
];

/// (given name, pinyin)
pub const ZH_GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("晓东", "xiaodong"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("雨桐", "yutong"),
    ("思远", "siyuan"),
];

pub const EN_GIVEN: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Isabella",
    "James",
    "Mia",
    "Lucas",
    "Charlotte",
    "Mateo",
    "Harper",
    "Ethan",
    "Aisha",
    "Daniel",
    "Priya",
    "Samuel",
    "Grace",
    "Kenji",
];

pub const EN_SURNAMES: &[&str] = &[
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Taylor", "Anderson",
    "Thomas", "Moore", "Martin", "Clarke", "Walker", "Young", "Patel", "Nguyen", "Kim", "Okafor",
    "Fischer",
];

pub const MAIL_DOMAINS: &[&str] = &["example.com", "example.net", "mail.example.org"];

pub const MERCHANTS: &[&str] = &[
    "京东商城",
    "Tmall Global",
    "美团外卖",
    "Starbucks Shanghai",
    "Steam",
    "携程旅行",
    "Apple Services",
    "滴滴出行",
    "Airbnb",
    "盒马鲜生",
];

pub const BANKS: &[&str] = &[
    "ICBC",
    "China Merchants Bank",
    "Bank of China",
    "HSBC",
    "CCB",
];

/// Why a payment was declined, as the platform reports it.
pub const DECLINE_REASONS: &[&str] = &[
    "insufficient_balance",
    "single_limit_exceeded",
    "daily_limit_exceeded",
    "risk_check",
    "merchant_not_accepted",
];

/// The ticket subject a user would write for the category.
pub fn subject(category: TicketCategory, locale: Locale, variant: usize) -> &'static str {
    use TicketCategory::*;
    let (zh, en): (&[&str], &[&str]) = match category {
        PaymentCancelled => (
            &["订单取消了，钱却被扣走", "付款已取消但余额减少了"],
            &[
                "Order cancelled but I was still charged",
                "Cancelled payment, money gone from my balance",
            ],
        ),
        RefundNotReceived => (
            &["退款一直没有到账", "商家说已退款，我没收到"],
            &[
                "My refund has not arrived",
                "Merchant says refunded, nothing received",
            ],
        ),
        AccountFrozen => (
            &["账户被冻结，无法转账", "为什么我的钱包被冻结了"],
            &[
                "My account is frozen and I cannot send money",
                "Why was my wallet frozen?",
            ],
        ),
        AccountLocked => (
            &["登录失败多次，账户被锁", "账户锁定，无法登录"],
            &[
                "Locked out after failed logins",
                "Account locked, cannot sign in",
            ],
        ),
        PaidNotReleased => (
            &["已付款，卖家迟迟不放币", "付款完成但币没有到账"],
            &[
                "I paid but the coins were not released",
                "Paid the seller, still no USDT",
            ],
        ),
        TopUpFailed => (
            &["充值失败，银行却扣款了", "充值没到账，银行卡已扣钱"],
            &[
                "Top-up failed but my bank took the money",
                "Top-up missing, card was charged",
            ],
        ),
        WithdrawalDelayed => (
            &["提现超过两天还没到账", "提现一直处理中"],
            &[
                "Withdrawal still not in my bank after two days",
                "Withdrawal stuck in processing",
            ],
        ),
        CounterpartyUnpaid => (
            &["买家没付款，我的币被锁着", "对方一直不付款"],
            &[
                "Buyer never paid, my coins are held",
                "The other side of my trade did not pay",
            ],
        ),
        TransactionDeclined => (
            &["付款被拒绝", "为什么我的支付失败了"],
            &["My payment was declined", "Why did my payment fail?"],
        ),
        Other => (
            &["如何修改绑定的手机号", "想了解提现手续费"],
            &[
                "How do I change my phone number?",
                "Question about withdrawal fees",
            ],
        ),
    };
    let texts = match locale {
        Locale::ZhCn => zh,
        Locale::En => en,
    };
    texts[variant % texts.len()]
}

/// The user's first message. `detail` names the transaction and amount.
pub fn first_message(category: TicketCategory, locale: Locale, detail: &str) -> String {
    use TicketCategory::*;
    match (locale, category) {
        (Locale::ZhCn, PaymentCancelled) => format!("订单显示已取消，但{detail}没有退回到我的钱包，请帮忙查一下。"),
        (Locale::ZhCn, RefundNotReceived) => format!("商家已经同意退款（{detail}），可到现在我都没收到。"),
        (Locale::ZhCn, AccountFrozen) => "我的账户突然被冻结，不能付款也不能提现。请问原因是什么，怎样解冻？".to_owned(),
        (Locale::ZhCn, AccountLocked) => "输错几次密码后账户被锁定了，我想恢复登录。".to_owned(),
        (Locale::ZhCn, PaidNotReleased) => format!("我已按订单付款（{detail}），对方一直没有放币。付款截图已保存。"),
        (Locale::ZhCn, TopUpFailed) => format!("充值显示失败，但银行已经扣了钱（{detail}）。"),
        (Locale::ZhCn, WithdrawalDelayed) => format!("提现（{detail}）已经超过预计时间，银行卡还没收到。"),
        (Locale::ZhCn, CounterpartyUnpaid) => format!("买家下单后没有付款（{detail}），我的币一直被冻结在交易里。"),
        (Locale::ZhCn, TransactionDeclined) => format!("付款（{detail}）被拒绝了，余额是够的。"),
        (Locale::ZhCn, Other) => "请问在哪里可以修改账户资料？".to_owned(),
        (Locale::En, PaymentCancelled) => format!("The order was cancelled, but {detail} never came back to my wallet."),
        (Locale::En, RefundNotReceived) => format!("The merchant agreed to refund {detail}, and I still have nothing."),
        (Locale::En, AccountFrozen) => "My account was frozen without warning. I cannot pay or withdraw. Why, and how do I get it back?".to_owned(),
        (Locale::En, AccountLocked) => "After a few wrong passwords my account is locked. Please help me sign in again.".to_owned(),
        (Locale::En, PaidNotReleased) => format!("I paid for the order ({detail}) and the seller has not released the coins. I kept a screenshot of the payment."),
        (Locale::En, TopUpFailed) => format!("The top-up says failed, but my bank has taken the money ({detail})."),
        (Locale::En, WithdrawalDelayed) => format!("My withdrawal ({detail}) is past the expected time and has not reached my bank."),
        (Locale::En, CounterpartyUnpaid) => format!("The buyer opened the trade ({detail}) and never paid; my coins are stuck in it."),
        (Locale::En, TransactionDeclined) => format!("My payment ({detail}) was declined although my balance is enough."),
        (Locale::En, Other) => "Where can I update my account details?".to_owned(),
    }
}

/// An agent's first public reply, in the user's language.
pub fn first_reply(locale: Locale, agent_name: &str) -> String {
    match locale {
        Locale::ZhCn => format!(
            "您好，我是客服{agent_name}。我们已经收到您的问题，正在核实交易记录，会尽快回复您。"
        ),
        Locale::En => format!(
            "Hello, this is {agent_name} from support. We have your request and are checking the transaction; we will be back to you shortly."
        ),
    }
}

/// What an agent asks for when a ticket waits on the user.
pub fn evidence_request(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => "请提供付款凭证（交易号、时间、金额和截图），以便我们继续处理。",
        Locale::En => {
            "Please send the payment proof (transaction number, time, amount and a screenshot) so we can continue."
        }
    }
}

pub const ON_HOLD_NOTE: &str =
    "Asked the bank / counterparty to confirm; waiting for their answer.";

pub fn solved_reply(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => "问题已经处理完毕，如仍有疑问请直接回复此邮件。",
        Locale::En => {
            "This is now resolved. If anything is still wrong, just reply to this message."
        }
    }
}

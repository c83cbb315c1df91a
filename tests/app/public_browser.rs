//! A wallet user's journey in a real browser, on a phone, in Chinese: from
//! the help pages to a filed dispute with a screenshot, the instant
//! diagnosis, and a reply on the tracking page.

use crate::browser::Driver;
use crate::helpers::*;
use crate::public::payment_with_refund;
use diesel::prelude::*;
use redress::db::schema::outbox_emails;

#[test]
fn a_user_files_a_refund_dispute_in_chinese_on_a_phone_and_follows_it() -> TestResult {
    let app = TestApp::start();
    payment_with_refund(&app);
    let screenshot = app.db.dir.path().join("付款截图.png");
    // A real 1×1 PNG.
    std::fs::write(
        &screenshot,
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82",
    )?;
    let browser = Driver::start(&app.address, "public-dispute");
    browser.use_phone();
    browser.goto("/language?to=zh-CN&next=/");
    assert_eq!(browser.text("h1"), "支付问题求助");
    browser.look("help");
    browser.click("a[href='/help/refund-not-received']");
    assert_eq!(browser.text("h1"), "退款一直没到账");
    browser.look("help-refund");
    browser.click("#file-dispute");
    browser.look("form");

    browser.fill("#field-email", "customer1@example.com");
    browser.fill("#field-name", "王芳");
    browser.fill("#field-reference", "PAY-1");
    browser.fill("#field-amount", "120.00");
    browser.choose("#field-currency", "CNY");
    browser.set_value("#field-date", &chrono::Utc::now().date_naive().to_string());
    browser.fill(
        "#field-description",
        "申请退款已经好几天了，钱还没回到卡上。",
    );
    browser.attach("#field-evidence", &screenshot);
    browser.tick("#field-consent");
    browser.click("#dispute-form button[type=submit]");

    let path = browser.path();
    assert!(path.starts_with("/disputes/filed/"), "{path}");
    assert_eq!(
        browser.text("#filed-notice"),
        "我们已收到您的申诉，确认邮件已发往您的邮箱。"
    );
    let known = browser.texts("#diagnosis li");
    assert!(
        known
            .iter()
            .any(|line| line.starts_with("120.00 CNY 的退款已于 ") && line.contains("预计")),
        "{known:?}"
    );
    browser.look("filed");

    // The tracking link, as the "dispute received" mail carries it.
    let mail: String = outbox_emails::table
        .filter(outbox_emails::template.eq("dispute_received"))
        .select(outbox_emails::body_text)
        .first(&mut app.db.conn())?;
    let start = mail.find("/track/").ok_or("a tracking link in the mail")?;
    let link: String = mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    browser.goto(&link);
    assert_eq!(browser.texts("#conversation .file"), ["付款截图.png"]);
    assert_eq!(browser.text("#track-status"), "已收到，等待客服处理");
    browser.look("tracking");

    browser.fill("#reply-message", "谢谢，我再等几天。");
    browser.click("#reply-form button[type=submit]");
    assert!(
        browser.path().ends_with("?sent=1"),
        "{}: {:?} {:?}",
        browser.path(),
        browser.texts("#reply-error"),
        browser.texts("h1")
    );
    assert_eq!(
        browser.text("#track-notice"),
        "您的留言已添加，我们会通过邮件答复。"
    );
    let said = browser.texts("#conversation .event-body");
    assert_eq!(said.last().map(String::as_str), Some("谢谢，我再等几天。"));
    browser.look("replied");
    Ok(())
}

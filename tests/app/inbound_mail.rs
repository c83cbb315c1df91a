//! Mail that comes back, through the webhook (`POST /api/v1/inbound-mail`)
//! and the MTA pipe (`redress mail receive`): replies threaded or matched
//! by subject, automatic answers and bounces, a second delivery, a file
//! that lies about its type, and strangers.

use crate::api::token;
use crate::desk_tickets::{agent_actor, desk, new_ticket, open_ticket};
use crate::helpers::*;
use diesel::prelude::*;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use redress::db::schema::{attachments, customers, outbox_emails, ticket_events, tickets};
use redress::domain::*;
use redress::tickets::service::{self, Reply};
use redress::tickets::sla;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;

/// The smallest PNG signature the content check accepts.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// A message as a mail client writes it: text, optional headers before
/// it, optional files.
struct Mail<'a> {
    from: &'a str,
    subject: &'a str,
    text: &'a str,
    in_reply_to: Option<&'a str>,
    headers: &'a [&'a str],
    files: Vec<(&'a str, &'a str, Vec<u8>)>,
    message_id: &'a str,
}

impl<'a> Mail<'a> {
    fn new(from: &'a str, subject: &'a str, text: &'a str) -> Mail<'a> {
        Mail {
            from,
            subject,
            text,
            in_reply_to: None,
            headers: &[],
            files: Vec::new(),
            message_id: "<m1@client.example>",
        }
    }

    fn raw(&self) -> Vec<u8> {
        let mut builder = lettre::Message::builder()
            .from(self.from.parse::<Mailbox>().expect("a sender"))
            .to("help@redress.local".parse().expect("a recipient"))
            .subject(self.subject)
            .message_id(Some(self.message_id.to_owned()));
        if let Some(id) = self.in_reply_to {
            builder = builder.in_reply_to(id.to_owned()).references(id.to_owned());
        }
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(self.text.to_owned()));
        for (name, content_type, bytes) in &self.files {
            parts = parts.singlepart(Attachment::new((*name).to_owned()).body(
                bytes.clone(),
                ContentType::parse(content_type).expect("a type"),
            ));
        }
        let message = builder.multipart(parts).expect("the message builds");
        let mut raw = self
            .headers
            .iter()
            .map(|h| format!("{h}\r\n"))
            .collect::<String>()
            .into_bytes();
        raw.extend(message.formatted());
        raw
    }
}

/// A desk with a platform token.
fn mail_desk() -> (TestApp, String) {
    let app = desk();
    let token = token(&app, "mail-service").expect("a token");
    (app, token)
}

fn deliver(app: &TestApp, token: &str, raw: &[u8]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/inbound-mail"))
        .bearer_auth(token)
        .header("Content-Type", "message/rfc822")
        .body(raw.to_vec())
        .send()
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

/// Customer `n`'s ticket, answered in public and solved: the mail it sent
/// is what the customer replies to.
fn solved_ticket(app: &TestApp, n: i64) -> (TicketId, String) {
    funded_wallet(&mut app.db.conn(), n, 0);
    let agent = agent_actor(app, "bo@example.com");
    let id = open_ticket(app, &agent, new_ticket(n, "Refund not received"));
    let mut conn = app.db.conn();
    let settings = sla::load(&mut conn).expect("SLA settings");
    let version = redress::tickets::service::find(&mut conn, id)
        .expect("the ticket")
        .version;
    service::reply(
        &mut conn,
        &settings,
        &agent,
        id,
        Reply {
            body: "Your refund was issued today.".into(),
            public: true,
            status: Some(TicketStatus::Solved),
            version,
        },
    )
    .expect("the reply is saved");
    let sent: String = outbox_emails::table
        .filter(outbox_emails::ticket_id.eq(id))
        .select(outbox_emails::message_id)
        .first(&mut conn)
        .expect("the reply mail");
    (id, sent)
}

fn status_of(app: &TestApp, id: TicketId) -> TicketStatus {
    tickets::table
        .find(id)
        .select(tickets::status)
        .first(&mut app.db.conn())
        .expect("the ticket")
}

fn events_of(app: &TestApp, id: TicketId) -> Vec<(TicketEventKind, Option<String>)> {
    ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .order(ticket_events::id)
        .select((ticket_events::kind, ticket_events::body))
        .load(&mut app.db.conn())
        .expect("the timeline")
}

/// How many rows `table` holds (a handful, in a test).
fn count(app: &TestApp, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(&mut app.db.conn())
        .expect("a count")
        .n
}

fn evidence_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.db.dir.path().join("data/evidence"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

#[test]
fn a_threaded_reply_lands_on_its_ticket_trimmed_with_its_file_and_reopens_it() -> TestResult {
    let (app, token) = mail_desk();
    let (id, sent) = solved_ticket(&app, 1);
    assert_eq!(status_of(&app, id), TicketStatus::Solved);
    let mut mail = Mail::new(
        "Customer 1 <customer1@example.com>",
        "Re: your request",
        "It has still not arrived.\n\nOn Mon, 1 Dec 2026, Redress <help@redress.local> wrote:\n> Your refund was issued today.\n",
    );
    mail.in_reply_to = Some(&sent);
    mail.files = vec![("bank statement.png", "image/png", PNG.to_vec())];
    let raw = mail.raw();

    let (status, receipt) = deliver(&app, &token, &raw);
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["outcome"], "added");
    assert_eq!(receipt["ticket"], id.reference().as_str());
    assert_eq!(
        status_of(&app, id),
        TicketStatus::Open,
        "a reply reopens a solved ticket"
    );
    let events = events_of(&app, id);
    let message = events
        .iter()
        .rfind(|(kind, _)| *kind == TicketEventKind::UserMessage)
        .ok_or("the customer's message")?;
    assert_eq!(
        message.1.as_deref(),
        Some("It has still not arrived."),
        "quoted history is trimmed"
    );
    let (name, content_type, sha): (String, String, String) = attachments::table
        .filter(attachments::ticket_id.eq(id))
        .select((
            attachments::original_name,
            attachments::content_type,
            attachments::sha256,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!(
        (name.as_str(), content_type.as_str()),
        ("bank statement.png", "image/png")
    );
    assert_eq!(sha, hex::encode(Sha256::digest(PNG)));
    assert_eq!(evidence_files(&app), 1);
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    let files: Vec<String> = select(&page, "#timeline .file")
        .into_iter()
        .map(text_of)
        .collect();
    assert_eq!(files.len(), 1);
    assert!(
        files[0].contains("bank statement.png") && files[0].contains("PNG"),
        "{files:?}"
    );

    // The same message again (a mail service retrying): added once.
    let (status, again) = deliver(&app, &token, &raw);
    assert_eq!(status, 200);
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(again["ticket"], id.reference().as_str());
    assert_eq!(events_of(&app, id), events, "nothing changed");
    assert_eq!(
        evidence_files(&app),
        1,
        "the second copy's file was not kept"
    );
    Ok(())
}

#[test]
fn the_subject_reference_matches_only_for_the_tickets_own_customer() -> TestResult {
    let (app, token) = mail_desk();
    let (id, _) = solved_ticket(&app, 1);
    let subject = format!("Re: Refund not received [{}]", id.reference());
    let mut mail = Mail::new("customer1@example.com", &subject, "Any news?");
    mail.message_id = "<subject-1@client.example>";
    let (_, receipt) = deliver(&app, &token, &mail.raw());
    assert_eq!(receipt["outcome"], "added");
    assert_eq!(receipt["ticket"], id.reference().as_str());

    // Someone else quoting the reference does not get onto that ticket.
    let mut other = Mail::new("Mallory <mallory@example.net>", &subject, "Let me in");
    other.message_id = "<subject-2@client.example>";
    let before = events_of(&app, id);
    let (_, receipt) = deliver(&app, &token, &other.raw());
    assert_eq!(receipt["outcome"], "opened");
    assert_ne!(receipt["ticket"], id.reference().as_str());
    assert_eq!(events_of(&app, id), before);
    Ok(())
}

#[test]
fn automatic_answers_and_bounces_are_recorded_never_answered_nor_reopening() -> TestResult {
    let (app, token) = mail_desk();
    let (id, sent) = solved_ticket(&app, 1);
    let mails_before = count(&app, "outbox_emails");
    let mut away = Mail::new(
        "customer1@example.com",
        "Out of office",
        "I am away until Monday.",
    );
    away.in_reply_to = Some(&sent);
    away.headers = &["Auto-Submitted: auto-replied"];
    away.message_id = "<away@client.example>";
    let (_, receipt) = deliver(&app, &token, &away.raw());
    assert_eq!(receipt["outcome"], "recorded");
    assert_eq!(receipt["kind"], "auto_reply");
    assert_eq!(receipt["ticket"], id.reference().as_str());

    // A delivery report as Postfix writes it: no thread headers of its
    // own, the returned mail's headers in a part.
    let (_, receipt) = deliver(&app, &token, delivery_report(&sent).as_bytes());
    assert_eq!(receipt["kind"], "bounce");
    assert_eq!(receipt["outcome"], "recorded");

    assert_eq!(status_of(&app, id), TicketStatus::Solved, "still solved");
    assert_eq!(
        count(&app, "outbox_emails"),
        mails_before,
        "nothing was answered"
    );
    let kinds: Vec<TicketEventKind> = events_of(&app, id).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        &kinds[kinds.len() - 2..],
        &[TicketEventKind::AutoReply, TicketEventKind::MailBounce]
    );
    assert!(
        !kinds
            .iter()
            .skip(2)
            .any(|k| *k == TicketEventKind::UserMessage)
    );
    assert_eq!(count(&app, "inbound_messages"), 2);

    // Both read as words on the ticket page.
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    let timeline = text_of(select(&page, "#timeline")[0]);
    assert!(
        timeline.contains("Automatic reply from customer1@example.com"),
        "{timeline}"
    );
    assert!(timeline.contains("bounced"), "{timeline}");
    Ok(())
}

/// A delivery-status report returning the mail `returned`.
fn delivery_report(returned: &str) -> String {
    [
        "Return-Path: <>",
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)",
        "To: help@redress.local",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <report-1@mx.example.com>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"",
        "",
        "--B",
        "Content-Type: text/plain",
        "",
        "This is the mail system. Your message could not be delivered.",
        "--B",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.com",
        "",
        "Final-Recipient: rfc822; customer1@example.com",
        "Action: failed",
        "Status: 5.1.1",
        "--B",
        "Content-Type: text/rfc822-headers",
        "",
        "From: Redress Support <support@redress.test>",
        &format!("Message-ID: {returned}"),
        "Subject: Re: Refund not received",
        "--B--",
        "",
    ]
    .join("\r\n")
}

#[test]
fn a_threaded_mail_goes_only_to_an_open_ticket_of_its_sender() -> TestResult {
    let (app, token) = mail_desk();
    let (older, older_mail) = solved_ticket(&app, 1);
    // The older ticket was closed; a newer one was answered since.
    diesel::update(tickets::table.find(older))
        .set(tickets::status.eq(TicketStatus::Closed))
        .execute(&mut app.db.conn())?;
    let agent = agent_actor(&app, "bo@example.com");
    let newer = open_ticket(&app, &agent, new_ticket(1, "Still missing"));
    let settings = sla::load(&mut app.db.conn())?;
    service::reply(
        &mut app.db.conn(),
        &settings,
        &agent,
        newer,
        Reply {
            body: "Looking into it.".into(),
            public: true,
            status: None,
            version: redress::tickets::service::find(&mut app.db.conn(), newer)?.version,
        },
    )?;
    let newer_mail: String = outbox_emails::table
        .filter(outbox_emails::ticket_id.eq(newer))
        .select(outbox_emails::message_id)
        .first(&mut app.db.conn())?;

    // References name both, oldest first: the newest open one takes it.
    let references = format!("{older_mail} {newer_mail}");
    let both = [
        "From: customer1@example.com",
        "To: help@redress.local",
        "Subject: Re: again",
        "Message-ID: <order@client.example>",
        &format!("References: {references}"),
        "",
        "Order matters.",
        "",
    ]
    .join("\r\n");
    let (_, receipt) = deliver(&app, &token, both.as_bytes());
    assert_eq!(receipt["outcome"], "added");
    assert_eq!(receipt["ticket"], newer.reference().as_str());

    // An answer to the closed ticket alone starts a new one.
    let mut late = Mail::new(
        "customer1@example.com",
        "Re: Refund not received",
        "One more thing",
    );
    late.in_reply_to = Some(&older_mail);
    late.message_id = "<late@client.example>";
    let (_, receipt) = deliver(&app, &token, &late.raw());
    assert_eq!(receipt["outcome"], "opened");
    assert_ne!(receipt["ticket"], older.reference().as_str());
    assert_eq!(status_of(&app, older), TicketStatus::Closed);

    // Someone else holding the thread's Message-ID cannot write on it.
    let before = events_of(&app, newer);
    let mut other = Mail::new(
        "Eve <eve@example.net>",
        "Re: Still missing",
        "Refund me instead",
    );
    other.in_reply_to = Some(&newer_mail);
    other.message_id = "<eve@client.example>";
    let (_, receipt) = deliver(&app, &token, &other.raw());
    assert_eq!(receipt["outcome"], "opened");
    assert_eq!(events_of(&app, newer), before, "the ticket is untouched");
    Ok(())
}

#[test]
fn control_characters_are_dropped_not_refused_and_newsletters_open_nothing() -> TestResult {
    let (app, token) = mail_desk();
    let (id, sent) = solved_ticket(&app, 1);
    let mut mail = Mail::new(
        "customer1@example.com",
        "Re: x",
        "Page one\u{c}page two\u{1b}[0m done",
    );
    mail.in_reply_to = Some(&sent);
    let (status, receipt) = deliver(&app, &token, &mail.raw());
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["outcome"], "added");
    let said = events_of(&app, id)
        .into_iter()
        .rfind(|(kind, _)| *kind == TicketEventKind::UserMessage)
        .and_then(|(_, body)| body);
    assert_eq!(said.as_deref(), Some("Page onepage two[0m done"));

    let customers_before = count(&app, "customers");
    let mut newsletter = Mail::new("news@shop.example", "Our December deals", "Buy now");
    newsletter.headers = &[
        "List-Id: <deals.shop.example>",
        "List-Unsubscribe: <https://shop.example/u>",
    ];
    newsletter.message_id = "<deals@shop.example>";
    let (_, receipt) = deliver(&app, &token, &newsletter.raw());
    assert_eq!(
        (receipt["outcome"].as_str(), receipt["kind"].as_str()),
        (Some("recorded"), Some("auto_reply"))
    );
    assert_eq!(receipt["ticket"], Value::Null);
    assert_eq!(
        count(&app, "customers"),
        customers_before,
        "no customer made"
    );
    Ok(())
}

#[test]
fn the_platforms_record_takes_over_a_customer_who_wrote_in_first() -> TestResult {
    let (app, token) = mail_desk();
    let mut mail = Mail::new("Lin Mei <lin.mei@example.com>", "Help", "My top-up failed");
    mail.message_id = "<first@client.example>";
    let (_, receipt) = deliver(&app, &token, &mail.raw());
    assert_eq!(receipt["outcome"], "opened");
    let reference = receipt["ticket"].as_str().ok_or("a ticket")?.to_owned();
    let response = crate::api::put(
        &app,
        Some(&token),
        "/api/v1/customers/CU-1",
        crate::api::CUSTOMER,
    );
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.text());
    let owner: String = customers::table
        .inner_join(tickets::table)
        .filter(tickets::id.eq(TicketId::parse_reference(&reference).ok_or("id")?))
        .select(customers::external_ref)
        .first(&mut app.db.conn())?;
    assert_eq!(owner, "CU-1", "the ticket is the platform customer's");
    assert_eq!(count(&app, "customers"), 1);
    Ok(())
}

#[test]
fn a_file_that_is_really_html_is_refused_and_the_message_kept() -> TestResult {
    let (app, token) = mail_desk();
    let (id, sent) = solved_ticket(&app, 1);
    let mut mail = Mail::new(
        "customer1@example.com",
        "Re: screenshot",
        "Here is the screenshot.",
    );
    mail.in_reply_to = Some(&sent);
    mail.files = vec![(
        "screenshot.png",
        "image/png",
        b"<html><script>alert(1)</script></html>".to_vec(),
    )];
    let (_, receipt) = deliver(&app, &token, &mail.raw());
    assert_eq!(receipt["outcome"], "added");
    assert_eq!(count(&app, "attachments"), 0, "no attachment row");
    assert_eq!(evidence_files(&app), 0, "no file written");
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    let refused: Vec<String> = select(&page, "#timeline .file-refused")
        .into_iter()
        .map(text_of)
        .collect();
    assert_eq!(
        refused,
        vec!["File “screenshot.png” not accepted: it is not a PNG, JPEG or PDF file".to_owned()]
    );
    Ok(())
}

#[test]
fn a_stranger_opens_a_ticket_as_a_new_customer_in_their_language() -> TestResult {
    let (app, token) = mail_desk();
    let mut mail = Mail::new(
        "王小明 <Xiaoming@Example.CN>",
        "提现三天还没到账",
        "我的提现还没有到账，请帮忙查一下。",
    );
    mail.message_id = "<stranger@client.example>";
    mail.files = vec![(
        "回单.pdf",
        "application/pdf",
        b"%PDF-1.4\n%\xe2\xe3\n".to_vec(),
    )];
    let (status, receipt) = deliver(&app, &token, &mail.raw());
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["outcome"], "opened");
    let reference = receipt["ticket"].as_str().ok_or("a ticket")?;
    let id = TicketId::parse_reference(reference).ok_or("a reference")?;
    let (category, channel, ticket_status, assignee): (
        TicketCategory,
        Channel,
        TicketStatus,
        Option<AgentId>,
    ) = tickets::table
        .find(id)
        .select((
            tickets::category,
            tickets::channel,
            tickets::status,
            tickets::assignee_id,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!(
        (category, channel, ticket_status, assignee),
        (
            TicketCategory::Other,
            Channel::Email,
            TicketStatus::New,
            None
        )
    );
    let (email, name, locale, external_ref): (String, String, Locale, String) = customers::table
        .inner_join(tickets::table)
        .filter(tickets::id.eq(id))
        .select((
            customers::email,
            customers::name,
            customers::locale,
            customers::external_ref,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!(
        (email.as_str(), name.as_str(), locale),
        ("xiaoming@example.cn", "王小明", Locale::ZhCn)
    );
    assert!(external_ref.starts_with("RDC-"), "{external_ref}");
    assert_eq!(count(&app, "attachments"), 1);

    // Their next message with no thread and no reference opens another
    // ticket, for the same customer.
    let mut next = Mail::new("xiaoming@example.cn", "还有一个问题", "另一笔也没到。");
    next.message_id = "<stranger-2@client.example>";
    let (_, receipt) = deliver(&app, &token, &next.raw());
    assert_eq!(receipt["outcome"], "opened");
    let theirs: i64 = customers::table
        .filter(customers::email.eq("xiaoming@example.cn"))
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(theirs, 1, "one customer");

    let page = app.page(&format!("/agent/tickets/{reference}"));
    assert!(text_of(select(&page, "#ticket-clocks")[0]).contains("via e-mail"));
    Ok(())
}

#[test]
fn the_same_message_delivered_at_once_is_added_once() -> TestResult {
    let (app, token) = mail_desk();
    let (id, sent) = solved_ticket(&app, 1);
    let mut mail = Mail::new("customer1@example.com", "Re: x", "Twice at once");
    mail.in_reply_to = Some(&sent);
    mail.files = vec![("a.png", "image/png", PNG.to_vec())];
    let raw = std::sync::Arc::new(mail.raw());
    let stranger = std::sync::Arc::new(
        Mail {
            message_id: "<new-twice@client.example>",
            ..Mail::new("new@example.org", "Hello", "New here")
        }
        .raw(),
    );
    let address = app.address.clone();
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let (raw, stranger, address, token) = (
                raw.clone(),
                stranger.clone(),
                address.clone(),
                token.clone(),
            );
            std::thread::spawn(move || {
                let browser = Browser::new(address);
                let body = if n % 2 == 0 { raw } else { stranger };
                browser
                    .client
                    .post(browser.url("/api/v1/inbound-mail"))
                    .bearer_auth(token)
                    .body(body.to_vec())
                    .send()
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().map_err(|_| "a thread")??, 200);
    }
    let messages = events_of(&app, id)
        .into_iter()
        .filter(|(kind, _)| *kind == TicketEventKind::UserMessage)
        .count();
    assert_eq!(messages, 1, "one message on the ticket");
    assert_eq!(count(&app, "attachments"), 1, "the file once");
    assert_eq!(evidence_files(&app), 1, "the losers' files were removed");
    assert_eq!(count(&app, "inbound_messages"), 2);
    let new_customers: i64 = customers::table
        .filter(customers::email.eq("new@example.org"))
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(new_customers, 1);
    Ok(())
}

#[test]
fn the_webhook_wants_the_token_and_a_mail() -> TestResult {
    let (app, token) = mail_desk();
    let raw = Mail::new("customer1@example.com", "x", "y").raw();
    let response = app
        .client
        .post(app.url("/api/v1/inbound-mail"))
        .body(raw)
        .send()?;
    assert_eq!(response.status().as_u16(), 401);
    let (status, answer) = deliver(&app, &token, b"\0\x01\x02 not a message");
    assert_eq!(status, 422, "{answer}");
    assert_eq!(count(&app, "inbound_messages"), 0);
    Ok(())
}

#[test]
fn an_mta_pipes_a_message_to_mail_receive() -> TestResult {
    let (app, _) = mail_desk();
    let (id, sent) = solved_ticket(&app, 1);
    let mut mail = Mail::new("customer1@example.com", "Re: piped", "Piped reply");
    mail.in_reply_to = Some(&sent);
    let run = |raw: &[u8]| -> Result<std::process::Output, Box<dyn std::error::Error>> {
        let mut child = redress_command(&app.db)
            .args(["mail", "receive"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        child.stdin.take().ok_or("stdin")?.write_all(raw)?;
        Ok(child.wait_with_output()?)
    };
    let output = run(&mail.raw())?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let receipt: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(receipt["outcome"], "added");
    assert_eq!(receipt["ticket"], id.reference().as_str());
    assert_eq!(status_of(&app, id), TicketStatus::Open);

    // A message that is not one: the MTA is told to bounce it (65).
    let output = run(b"\0\x01\x02")?;
    assert_eq!(output.status.code(), Some(65));

    // A database that cannot be reached: the MTA is told to try later (75).
    let mut child = redress_command(&app.db)
        .args(["mail", "receive"])
        .env("DATABASE_URL", "postgres://redress@127.0.0.1:1/nowhere")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    child.stdin.take().ok_or("stdin")?.write_all(&mail.raw())?;
    assert_eq!(child.wait()?.code(), Some(75));
    Ok(())
}

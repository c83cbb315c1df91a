//! The outbox worker against a real SMTP server (Debian's aiosmtpd, run by
//! `tests/smtp_server.py`): delivery with both parts and threading, a
//! server down then up, temporary and permanent refusals, two worker
//! processes sharing one database, and the file transport.

use crate::desk_tickets::{agent_actor, desk, new_ticket, open_ticket};
use crate::helpers::*;
use diesel::prelude::*;
use redress::config::MailUrl;
use redress::db::Database;
use redress::db::schema::outbox_emails;
use redress::domain::*;
use redress::mail::letters;
use redress::mail::outbox::{OutgoingMail, enqueue};
use redress::mail::transport::Mailer;
use redress::mail::worker::{WorkerSettings, work_once};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A real SMTP server on a port of its own, keeping what it receives.
struct SmtpServer {
    port: u16,
    dir: PathBuf,
    /// TLS and login options of `tests/smtp_server.py`.
    options: Vec<String>,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl SmtpServer {
    fn start(dir: PathBuf) -> SmtpServer {
        SmtpServer::start_with(dir, &[])
    }

    fn start_with(dir: PathBuf, options: &[&str]) -> SmtpServer {
        let mut server = SmtpServer {
            port: free_port(),
            dir,
            options: options.iter().map(|o| o.to_string()).collect(),
            child: None,
        };
        server.up();
        server
    }

    /// A server not yet listening: mail to it fails until `up`.
    fn down(dir: PathBuf) -> SmtpServer {
        SmtpServer {
            port: free_port(),
            dir,
            options: Vec::new(),
            child: None,
        }
    }

    fn up(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        // Debian's Python, where python3-aiosmtpd installs.
        let python =
            std::env::var("REDRESS_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let mut child = Command::new(python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .args(&self.options)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the SMTP server (install python3-aiosmtpd)");
        let stdout = child.stdout.take().expect("its output");
        let mut first = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the SMTP server says it is ready");
        assert_eq!(first.trim(), "ready", "the SMTP server started");
        self.child = Some(child);
    }

    /// The answer to every following message: "250" accepts.
    fn answer(&self, line: &str) {
        std::fs::write(self.dir.join("answer"), line).expect("the answer is set");
    }

    fn url(&self) -> MailUrl {
        MailUrl::parse(&format!("smtp://127.0.0.1:{}?tls=none", self.port)).expect("a mail URL")
    }

    /// The messages received, parsed, in order.
    fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files.iter().map(|file| Received::read(file)).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A received message, as a mail client would read it.
#[derive(Debug, Clone)]
struct Received {
    message_id: String,
    in_reply_to: Option<String>,
    references: Option<String>,
    to: String,
    subject: String,
    text: String,
    html: String,
}

impl Received {
    fn read(file: &std::path::Path) -> Received {
        let raw = std::fs::read(file).expect("the message file");
        let message = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("the message parses");
        let address = |list: Option<&mail_parser::Address>| {
            list.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned()
        };
        Received {
            message_id: format!("<{}>", message.message_id().unwrap_or_default()),
            in_reply_to: message.in_reply_to().as_text().map(|id| format!("<{id}>")),
            references: message.references().as_text().map(|id| format!("<{id}>")),
            to: address(message.to()),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
        }
    }
}

fn settings(max_attempts: i64) -> WorkerSettings {
    let mut settings = WorkerSettings::new(
        "Redress Support <support@redress.test>"
            .parse()
            .expect("a sender"),
        max_attempts,
    );
    settings.retry_base = chrono::Duration::milliseconds(1);
    settings.poll = Duration::from_millis(50);
    settings
}

fn plain_mail(n: usize) -> OutgoingMail {
    OutgoingMail {
        to: format!("user{n}@example.com"),
        locale: Locale::En,
        template: "agent_reply",
        subject: format!("Mail {n}"),
        body_text: format!("Hello {n}"),
        body_html: format!("<p>Hello {n}</p>"),
        ticket: None,
        customer: None,
    }
}

fn queue(db: &TestDb, count: usize) -> Vec<String> {
    let mut conn = db.conn();
    (0..count)
        .map(|n| enqueue(&mut conn, plain_mail(n)).expect("queued"))
        .collect()
}

fn statuses(db: &TestDb) -> BTreeMap<String, i64> {
    let rows: Vec<String> = outbox_emails::table
        .select(outbox_emails::status)
        .load(&mut db.conn())
        .expect("the outbox");
    let mut counts = BTreeMap::new();
    for status in rows {
        *counts.entry(status).or_insert(0) += 1;
    }
    counts
}

/// Runs worker rounds until nothing is due or `deadline` passes.
fn drain(db: &TestDb, mailer: &Mailer, settings: &WorkerSettings, deadline: Duration) {
    let database = Database::open(&db.url, 2).expect("the database opens");
    actix_web::rt::System::new().block_on(async {
        let until = Instant::now() + deadline;
        while Instant::now() < until {
            let claimed = work_once(&database, mailer, settings, || false)
                .await
                .expect("a worker round");
            let queued = statuses(db).get("queued").copied().unwrap_or(0);
            if claimed == 0 && queued == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

#[test]
fn a_reply_arrives_once_in_the_customers_language_threaded_with_both_parts() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    let bo = agent_actor(&app, "bo@example.com");
    let ticket = open_ticket(&app, &bo, new_ticket(1, "退款没到"));
    let mut customer = redress::db::models::Customer::find(&mut app.db.conn(), CustomerId(1))?
        .ok_or("customer 1")?;
    customer.name = "王芳".into();
    customer.locale = Locale::ZhCn;
    let reply = |body: &str| {
        letters::agent_reply(&customer, ticket, "退款没到", "Bo Agent", body)
            .expect("the mail renders")
    };
    let first = enqueue(&mut app.db.conn(), reply("您好，我们在查。"))?;
    let second = enqueue(
        &mut app.db.conn(),
        reply("退款已重新发起。\n\n<script>x</script>"),
    )?;
    let folder = temp_dir();
    let server = SmtpServer::start(folder.path().to_path_buf());
    let mailer = Mailer::new(&server.url()).map_err(|e| e.to_string())?;
    drain(&app.db, &mailer, &settings(3), Duration::from_secs(20));
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].message_id, first);
    assert_eq!(got[1].message_id, second);
    assert_eq!(
        got[1].in_reply_to.as_deref(),
        Some(first.as_str()),
        "threaded"
    );
    assert_eq!(
        got[1].references.as_deref(),
        Some(first.as_str()),
        "threaded"
    );
    assert_eq!((&got[0].in_reply_to, &got[0].references), (&None, &None));
    assert_eq!(got[0].to, "customer1@example.com");
    assert_eq!(
        got[0].subject,
        format!("回复：退款没到 [{}]", ticket.reference())
    );
    assert!(got[0].text.contains("您好，我们在查。"), "{}", got[0].text);
    assert!(
        got[1].html.contains("&#60;script&#62;x"),
        "escaped: {}",
        got[1].html
    );
    assert!(!got[1].html.contains("<script>"));
    assert_eq!(statuses(&app.db), BTreeMap::from([("sent".into(), 2)]));
    // Nothing is sent twice: another round finds nothing to do.
    drain(&app.db, &mailer, &settings(3), Duration::from_secs(2));
    assert_eq!(server.received().len(), 2);
    Ok(())
}

#[test]
fn every_kind_of_mail_arrives_in_the_customers_language_with_both_parts() -> TestResult {
    use redress::db::models::Customer;
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    funded_wallet(&mut app.db.conn(), 2, 0);
    let bo = agent_actor(&app, "bo@example.com");
    let ticket = open_ticket(&app, &bo, new_ticket(1, "Refund missing"));
    let english = Customer::find(&mut app.db.conn(), CustomerId(1))?.ok_or("customer 1")?;
    let mut chinese = Customer::find(&mut app.db.conn(), CustomerId(2))?.ok_or("customer 2")?;
    chinese.locale = Locale::ZhCn;
    let amount = [
        ("amount", "120.50 CNY".to_owned()),
        ("reference", "PAY-9".to_owned()),
        ("by", "2026-12-09".to_owned()),
    ];
    let trade = [
        ("amount", "250.00 USDT".to_owned()),
        ("reference", "TRD-7".to_owned()),
    ];
    let opened = redress::tickets::service::find(&mut app.db.conn(), ticket)?;
    let sla = redress::tickets::sla::load(&mut app.db.conn())?;
    let link = "https://redress.test/track/0123456789abcdef";
    let mut queued = Vec::new();
    for customer in [&english, &chinese] {
        for mail in [
            letters::dispute_received(customer, &opened, link, &sla)?,
            letters::remedy_executed(customer, ticket, "release", &trade)?,
            letters::remedy_executed(customer, ticket, "return-to-seller", &trade)?,
            letters::remedy_executed(customer, ticket, "reverse-withdrawal", &trade)?,
            letters::remedy_executed(customer, ticket, "credit-top-up", &trade)?,
            letters::remedy_executed(customer, ticket, "unlock", &[])?,
            letters::agent_reply(
                customer,
                ticket,
                "Refund missing",
                "Bo Agent",
                "We are on it.",
            )?,
            letters::remedy_executed(customer, ticket, "refund", &amount)?,
            letters::remedy_executed(customer, ticket, "unfreeze", &[])?,
            letters::ticket_solved(customer, ticket, "Refund missing")?,
        ] {
            queued.push((customer.email.clone(), mail.subject.clone()));
            enqueue(&mut app.db.conn(), mail)?;
        }
    }
    let folder = temp_dir();
    let server = SmtpServer::start(folder.path().to_path_buf());
    let mailer = Mailer::new(&server.url()).map_err(|e| e.to_string())?;
    drain(&app.db, &mailer, &settings(3), Duration::from_secs(20));
    let got = server.received();
    let reference = ticket.reference();
    let mut arrived: Vec<(String, String)> = got
        .iter()
        .map(|m| (m.to.clone(), m.subject.clone()))
        .collect();
    arrived.sort();
    queued.sort();
    assert_eq!(
        arrived, queued,
        "each mail once, to its customer, with its subject"
    );
    let find = |subject: &str| {
        got.iter()
            .find(|m| m.subject == subject)
            .unwrap_or_else(|| panic!("a mail with subject {subject}"))
    };
    let expectations = [
        (
            format!("[{reference}] Your coins have been released"),
            "The 250.00 USDT of trade TRD-7 have been released to your wallet.",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] Your coins have been returned"),
            "The 250.00 USDT held for trade TRD-7 have been returned to the seller",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] Your withdrawal has been returned to your wallet"),
            "Your withdrawal TRD-7 of 250.00 USDT has been stopped",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] Your top-up has been credited"),
            "Your top-up TRD-7 of 250.00 USDT has been credited to your wallet.",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] Your account has been unlocked"),
            "set a new password",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] 您的币已放出"),
            "交易 TRD-7 的 250.00 USDT 已放入您的钱包。",
            "Customer 2，您好：",
        ),
        (
            format!("[{reference}] 您的币已退回"),
            "由于交易 TRD-7 未付款，托管的 250.00 USDT 已退回卖家钱包。",
            "Customer 2，您好：",
        ),
        (
            format!("[{reference}] 您的提现已退回钱包"),
            "您的提现 TRD-7（250.00 USDT）已撤回",
            "Customer 2，您好：",
        ),
        (
            format!("[{reference}] 您的充值已入账"),
            "您的充值 TRD-7（250.00 USDT）已入账到您的钱包。",
            "Customer 2，您好：",
        ),
        (
            format!("[{reference}] 您的账户已解锁"),
            "下次登录时请设置新密码",
            "Customer 2，您好：",
        ),
        (
            format!("Re: Refund missing [{reference}]"),
            "Bo Agent answered your request",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] Your refund has been issued"),
            "We have refunded 120.50 CNY for PAY-9 to your wallet. Refunds normally show within 3–5 business days, so by 2026-12-09 at the latest.",
            "Redress support",
        ),
        (
            format!("[{reference}] Your account has been unfrozen"),
            "you can send money again",
            "Dear Customer 1,",
        ),
        (
            format!("[{reference}] Your request is solved: Refund missing"),
            "as solved",
            "keep RD-",
        ),
        (
            format!("回复：Refund missing [{reference}]"),
            "客服 Bo Agent 回复了您的问题",
            "Customer 2，您好：",
        ),
        (
            format!("[{reference}] 您的退款已发起"),
            "我们已将 PAY-9 的 120.50 CNY 退回您的钱包。退款通常在 3–5 个工作日内到账，最迟 2026-12-09。",
            "Redress 客服中心",
        ),
        (
            format!("[{reference}] 您的账户已解冻"),
            "可以正常转出资金",
            "工单 RD-",
        ),
        (
            format!("[{reference}] 您的问题已解决：Refund missing"),
            "已标记为已解决",
            "直接回复本邮件",
        ),
    ];
    for (subject, words, frame) in &expectations {
        let mail = find(subject);
        for part in [&mail.text, &mail.html] {
            assert!(part.contains(words), "{subject}: {part}");
            assert!(part.contains(frame), "{subject}: {part}");
        }
    }
    // The dispute's receipt names the ticket, the answer's due time and
    // the tracking link, in each language.
    for (to, subject, words) in [
        (
            &english.email,
            format!("[{reference}] We received your dispute: "),
            format!("its reference is {reference}. An agent will answer by 20"),
        ),
        (
            &chinese.email,
            format!("[{reference}] 我们已收到您的申诉："),
            format!("编号 {reference}。客服将在 20"),
        ),
    ] {
        let mail = got
            .iter()
            .find(|m| &m.to == to && m.subject.starts_with(&subject))
            .ok_or_else(|| format!("a receipt to {to}"))?;
        for part in [&mail.text, &mail.html] {
            assert!(part.contains(&words), "{subject}: {part}");
            assert!(part.contains(link), "{subject}: {part}");
        }
    }
    Ok(())
}

/// `redress` with `args`, sending mail to `mail_url`, logging warnings
/// only, its output dropped.
fn redress_mailing(db: &TestDb, args: &[&str], mail_url: &str) -> Command {
    let mut command = redress_command(db);
    command
        .args(args)
        .env("REDRESS_MAIL_URL", mail_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A server that accepts connections and never says a word; its port.
fn stalling_server() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    Ok(port)
}

#[test]
fn sigterm_finishes_the_mail_in_hand_and_releases_the_rest() -> TestResult {
    let db = TestDb::new();
    queue(&db, 3);
    let port = stalling_server()?;
    let mut worker = redress_mailing(
        &db,
        &["mail", "work"],
        &format!("smtp://127.0.0.1:{port}?tls=none&timeout=5"),
    )
    .spawn()?;
    let leased = || -> i64 {
        outbox_emails::table
            .filter(outbox_emails::lease_owner.is_not_null())
            .count()
            .get_result(&mut db.conn())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while leased() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(leased(), 3, "the worker claimed all three");
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    let _ = Command::new("kill").arg(worker.id().to_string()).status();
    let stopped = worker.wait()?;
    let took = asked.elapsed();
    assert!(stopped.success(), "the worker stops cleanly");
    // The mail in hand waits out its 5 s timeout; the other two are not
    // tried (that would take 10 s more) but given back at once.
    assert!(took < Duration::from_secs(9), "{took:?}");
    let rows: Vec<(String, i64, Option<String>)> = outbox_emails::table
        .order(outbox_emails::id)
        .select((
            outbox_emails::status,
            outbox_emails::attempts,
            outbox_emails::lease_owner,
        ))
        .load(&mut db.conn())?;
    assert_eq!(
        rows,
        [
            ("queued".to_owned(), 1, None),
            ("queued".to_owned(), 0, None),
            ("queued".to_owned(), 0, None),
        ]
    );
    Ok(())
}

#[test]
fn a_stalling_server_times_out_and_pages_are_served_meanwhile() -> TestResult {
    let db = TestDb::new();
    queue(&db, 1);
    let port = stalling_server()?;
    let url = format!("smtp://127.0.0.1:{port}?tls=none&timeout=1");
    let mailer = Mailer::new(&MailUrl::parse(&url)?).map_err(|e| e.to_string())?;
    let database = Database::open(&db.url, 2)?;
    let started = Instant::now();
    actix_web::rt::System::new()
        .block_on(async { work_once(&database, &mailer, &settings(5), || false).await })?;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let (status, attempts, error): (String, i64, Option<String>) = outbox_emails::table
        .select((
            outbox_emails::status,
            outbox_emails::attempts,
            outbox_emails::last_error,
        ))
        .first(&mut db.conn())?;
    assert_eq!((status.as_str(), attempts), ("queued", 1), "queued again");
    assert!(error.is_some_and(|e| !e.is_empty()));

    // `serve` runs the worker beside the pages: they answer at once while
    // it waits on the stalled server.
    let serve_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = redress_mailing(
        &db,
        &["serve", "--bind", &format!("127.0.0.1:{serve_port}")],
        &format!("smtp://127.0.0.1:{port}?tls=none&timeout=20"),
    )
    .spawn()?;
    let browser = Browser::new(format!("http://127.0.0.1:{serve_port}"));
    let up = Instant::now();
    let healthy = loop {
        if let Ok(response) = browser.client.get(browser.url("/healthz")).send()
            && response.status() == 200
        {
            break true;
        }
        if up.elapsed() > Duration::from_secs(60) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut answered = Vec::new();
    for _ in 0..5 {
        let asked = Instant::now();
        let status = browser.get("/").status().as_u16();
        answered.push((status, asked.elapsed()));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(healthy, "serve came up");
    assert!(
        answered
            .iter()
            .all(|(status, took)| *status == 200 && *took < Duration::from_secs(2)),
        "{answered:?}"
    );
    Ok(())
}

#[test]
fn a_server_down_then_up_gets_every_mail_exactly_once() -> TestResult {
    let db = TestDb::new();
    let ids = queue(&db, 5);
    let folder = temp_dir();
    let mut server = SmtpServer::down(folder.path().to_path_buf());
    let mailer = Mailer::new(&server.url()).map_err(|e| e.to_string())?;
    let settings = settings(5);
    let database = Database::open(&db.url, 2)?;
    actix_web::rt::System::new()
        .block_on(async { work_once(&database, &mailer, &settings, || false).await })?;
    // Refused by a closed port: each queued again, with the error kept.
    assert_eq!(statuses(&db), BTreeMap::from([("queued".into(), 5)]));
    let (attempts, error): (i64, Option<String>) = outbox_emails::table
        .select((outbox_emails::attempts, outbox_emails::last_error))
        .first(&mut db.conn())?;
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| !e.is_empty()));
    server.up();
    drain(&db, &mailer, &settings, Duration::from_secs(30));
    let mut got: Vec<String> = server
        .received()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    got.sort();
    let mut expected = ids;
    expected.sort();
    assert_eq!(got, expected, "each once");
    assert_eq!(statuses(&db), BTreeMap::from([("sent".into(), 5)]));
    Ok(())
}

#[test]
fn a_4xx_is_tried_again_and_a_5xx_ends_failed_after_the_tries() -> TestResult {
    let db = TestDb::new();
    let folder = temp_dir();
    let server = SmtpServer::start(folder.path().to_path_buf());
    let mailer = Mailer::new(&server.url()).map_err(|e| e.to_string())?;
    let settings = settings(3);
    let database = Database::open(&db.url, 2)?;
    let round = || {
        actix_web::rt::System::new()
            .block_on(async { work_once(&database, &mailer, &settings, || false).await })
            .expect("a worker round")
    };
    queue(&db, 1);
    server.answer("451 4.3.0 Try again later");
    assert_eq!(round(), 1);
    assert_eq!(statuses(&db), BTreeMap::from([("queued".into(), 1)]));
    server.answer("250");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(round(), 1);
    let (status, attempts): (String, i64) = outbox_emails::table
        .select((outbox_emails::status, outbox_emails::attempts))
        .first(&mut db.conn())?;
    assert_eq!((status.as_str(), attempts), ("sent", 2));
    assert_eq!(server.received().len(), 1);

    // A permanent refusal: tried the configured three times, then failed.
    diesel::delete(outbox_emails::table).execute(&mut db.conn())?;
    queue(&db, 1);
    server.answer("550 5.1.1 No such user");
    for _ in 0..5 {
        round();
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, attempts, error): (String, i64, Option<String>) = outbox_emails::table
        .select((
            outbox_emails::status,
            outbox_emails::attempts,
            outbox_emails::last_error,
        ))
        .first(&mut db.conn())?;
    assert_eq!((status.as_str(), attempts), ("failed", 3));
    assert!(error.unwrap_or_default().contains("550"));
    assert_eq!(server.received().len(), 1, "nothing more arrived");
    Ok(())
}

#[test]
fn two_worker_processes_deliver_500_mails_none_twice_none_lost() -> TestResult {
    let db = TestDb::new();
    let mut expected = queue(&db, 500);
    let folder = temp_dir();
    let server = SmtpServer::start(folder.path().to_path_buf());
    let url = format!("smtp://127.0.0.1:{}?tls=none", server.port);
    let workers: Vec<Child> = (0..2)
        .map(|_| {
            redress_mailing(&db, &["mail", "work"], &url)
                .spawn()
                .expect("a worker process")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && statuses(&db).get("sent").copied().unwrap_or(0) < 500 {
        std::thread::sleep(Duration::from_millis(200));
    }
    for mut worker in workers {
        // SIGTERM: each finishes the mail in hand and stops.
        let _ = Command::new("kill").arg(worker.id().to_string()).status();
        let stopped = worker.wait()?;
        assert!(stopped.success(), "a worker stops cleanly on SIGTERM");
    }
    let mut got: Vec<String> = server
        .received()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got.len(), 500, "none lost, none twice");
    assert_eq!(got, expected);
    assert_eq!(statuses(&db), BTreeMap::from([("sent".into(), 500)]));
    Ok(())
}

/// A certificate authority and a certificate for 127.0.0.1 it signed,
/// made with openssl in `dir`: the authority, the certificate, its key.
fn test_certificates(dir: &std::path::Path) -> [PathBuf; 3] {
    let [ca, ca_key, csr, cert, key, ext] = [
        "ca.pem", "ca.key", "leaf.csr", "leaf.pem", "leaf.key", "ext",
    ]
    .map(|name| dir.join(name));
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("the extensions file");
    let openssl = |args: &[&std::ffi::OsStr]| {
        let done = Command::new("openssl")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(done.success(), "openssl {args:?}");
    };
    let os = |text: &'static str| std::ffi::OsStr::new(text);
    openssl(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-days"),
        os("2"),
        os("-subj"),
        os("/CN=Redress test CA"),
        os("-keyout"),
        ca_key.as_os_str(),
        os("-out"),
        ca.as_os_str(),
    ]);
    openssl(&[
        os("req"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-subj"),
        os("/CN=127.0.0.1"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        csr.as_os_str(),
    ]);
    openssl(&[
        os("x509"),
        os("-req"),
        os("-in"),
        csr.as_os_str(),
        os("-CA"),
        ca.as_os_str(),
        os("-CAkey"),
        ca_key.as_os_str(),
        os("-CAcreateserial"),
        os("-days"),
        os("2"),
        os("-extfile"),
        ext.as_os_str(),
        os("-out"),
        cert.as_os_str(),
    ]);
    [ca, cert, key]
}

#[test]
fn tls_and_a_login_are_used_and_the_password_never_logged() -> TestResult {
    let db = TestDb::new();
    let certificates = temp_dir();
    let [ca, cert, key] = test_certificates(certificates.path());
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    for mode in ["starttls", "implicit"] {
        diesel::delete(outbox_emails::table).execute(&mut db.conn())?;
        let expected = queue(&db, 1);
        let folder = temp_dir();
        let server = SmtpServer::start_with(
            folder.path().to_path_buf(),
            &[mode, &cert, &key, "bo", "p@ss-9Z"],
        );
        // The password's "@" written as the URL wants it.
        let url = match mode {
            "starttls" => format!("smtp://bo:p%40ss-9Z@127.0.0.1:{}?tls=required", server.port),
            _ => format!("smtps://bo:p%40ss-9Z@127.0.0.1:{}", server.port),
        };
        let log = certificates.path().join(format!("{mode}.log"));
        let mut worker = redress_mailing(&db, &["mail", "work"], &url)
            .env("SSL_CERT_FILE", &ca)
            .env("RUST_LOG", "debug")
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && statuses(&db).get("sent").copied().unwrap_or(0) < 1 {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").arg(worker.id().to_string()).status();
        worker.wait()?;
        let got: Vec<String> = server
            .received()
            .into_iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(got, expected, "{mode}: delivered over TLS");
        assert_eq!(
            std::fs::read_to_string(folder.path().join("logins"))?,
            "bo:p@ss-9Z\n",
            "{mode}: logged in with the URL's user and password"
        );
        let logged = std::fs::read_to_string(&log)?;
        assert!(logged.contains("mail worker started"), "{mode}: {logged}");
        assert!(
            !logged.contains("p@ss-9Z") && !logged.contains("p%40ss-9Z"),
            "{mode}: the password is never logged: {logged}"
        );
    }
    Ok(())
}

#[test]
fn the_file_transport_writes_eml_files_that_parse() -> TestResult {
    let db = TestDb::new();
    let ids = queue(&db, 3);
    let folder = temp_dir();
    let mailer =
        Mailer::new(&MailUrl::Files(folder.path().join("mail"))).map_err(|e| e.to_string())?;
    drain(&db, &mailer, &settings(3), Duration::from_secs(10));
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder.path().join("mail"))?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3);
    let mut got: Vec<String> = files.iter().map(|f| Received::read(f).message_id).collect();
    got.sort();
    let mut expected = ids;
    expected.sort();
    assert_eq!(got, expected);
    let first = Received::read(&files[0]);
    assert!(first.subject.starts_with("Mail "));
    assert!(first.text.starts_with("Hello "));
    assert!(first.html.contains("<p>Hello "));
    Ok(())
}

#[test]
fn solving_a_ticket_tells_the_customer_once() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Refund missing"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let version = |app: &TestApp| crate::desk_tickets::version_of(app, id).to_string();
    let solved_mails = |app: &TestApp| -> Vec<String> {
        outbox_emails::table
            .filter(outbox_emails::ticket_id.eq(id))
            .filter(outbox_emails::template.eq("ticket_solved"))
            .select(outbox_emails::subject)
            .load(&mut app.db.conn())
            .expect("the outbox")
    };
    let response = app.post_form(
        &format!("{path}/fields"),
        &csrf,
        &[
            ("status", "solved"),
            ("priority", ""),
            ("category", ""),
            ("assignee", ""),
            ("version", &version(&app)),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(
        solved_mails(&app),
        [format!(
            "[{}] Your request is solved: Refund missing",
            id.reference()
        )]
    );
    // Reopened, then solved with a public reply: the reply is the news.
    app.post_form(
        &format!("{path}/fields"),
        &csrf,
        &[
            ("status", "open"),
            ("priority", ""),
            ("category", ""),
            ("assignee", ""),
            ("version", &version(&app)),
        ],
    );
    let response = app.post_form(
        &format!("{path}/reply"),
        &csrf,
        &[
            ("body", "Done."),
            ("visibility", "public"),
            ("status", "solved"),
            ("version", &version(&app)),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(solved_mails(&app).len(), 1);
    Ok(())
}

#[test]
fn admins_see_the_outbox_and_retry_a_failed_mail() -> TestResult {
    let app = TestApp::start();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    app.sign_in_ok("ada@example.com");
    queue(&app.db, 3);
    let failed: i64 = outbox_emails::table
        .select(outbox_emails::id)
        .order(outbox_emails::id)
        .first(&mut app.db.conn())?;
    diesel::update(outbox_emails::table.find(failed))
        .set((
            outbox_emails::status.eq("failed"),
            outbox_emails::attempts.eq(8_i64),
            outbox_emails::last_error.eq(Some("550 5.1.1 No such user")),
        ))
        .execute(&mut app.db.conn())?;
    let page = app.page("/agent/admin/mail");
    let value = |css: &str| text_of(select(&page, &format!("{css} .stat-value"))[0]);
    assert_eq!(
        (
            value("#mail-queued"),
            value("#mail-sent"),
            value("#mail-failed")
        ),
        ("2".into(), "0".into(), "1".into())
    );
    let row = select(&page, &format!("#failed-mail tr[data-mail='{failed}']"));
    assert_eq!(row.len(), 1);
    assert!(text_of(row[0]).contains("550 5.1.1 No such user"));
    let csrf = app.csrf("/agent/admin/mail");
    let retry = || app.post_form(&format!("/agent/admin/mail/{failed}/retry"), &csrf, &[]);
    assert_eq!(retry().status(), 303);
    let (status, attempts): (String, i64) = outbox_emails::table
        .find(failed)
        .select((outbox_emails::status, outbox_emails::attempts))
        .first(&mut app.db.conn())?;
    assert_eq!((status.as_str(), attempts), ("queued", 0));
    let audited: i64 = redress::db::schema::audit_log::table
        .filter(redress::db::schema::audit_log::action.eq("mail.retry"))
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(audited, 1);
    // Again: it is not failed any more, and nothing changes.
    app.refused_page(retry());
    let agent = app.browser();
    add_test_agent(&app.db, "bo@example.com", "Bo Agent", Role::Agent);
    agent.sign_in_ok("bo@example.com");
    assert_eq!(agent.get("/agent/admin/mail").status(), 403);
    Ok(())
}

#[test]
fn a_lease_lost_is_never_sent_and_a_backed_off_mail_waits() -> TestResult {
    use redress::mail::worker::{claim, renew};
    let db = TestDb::new();
    queue(&db, 1);
    let mut conn = db.conn();
    let at = chrono::Utc::now().naive_utc();
    let lease = chrono::Duration::minutes(2);
    let first = claim(&mut conn, "worker-a", at, lease, 10)?;
    assert_eq!(first.len(), 1);
    assert!(
        claim(&mut conn, "worker-b", at, lease, 10)?.is_empty(),
        "held by a"
    );
    // A's lease runs out (a slow send): B takes the row over, and A may
    // no longer send it.
    let later = at + chrono::Duration::minutes(3);
    assert_eq!(claim(&mut conn, "worker-b", later, lease, 10)?.len(), 1);
    assert!(!renew(&mut conn, first[0].id, "worker-a", later, lease)?);
    assert!(renew(&mut conn, first[0].id, "worker-b", later, lease)?);
    // A mail put back with a backoff is not claimed before it is due.
    diesel::update(outbox_emails::table)
        .set((
            outbox_emails::lease_owner.eq(None::<String>),
            outbox_emails::lease_expires_at.eq(None::<chrono::NaiveDateTime>),
            outbox_emails::next_attempt_at.eq(later + chrono::Duration::minutes(10)),
        ))
        .execute(&mut conn)?;
    assert!(claim(&mut conn, "worker-c", later, lease, 10)?.is_empty());
    Ok(())
}

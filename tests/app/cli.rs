//! The `redress` binary as an operator uses it.

use crate::helpers::{TestDb, TestResult, redress_command};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn a_mistyped_postgres_url_is_refused_and_creates_nothing() -> TestResult {
    let db = TestDb::new();
    for url in [
        "postgress://redress@localhost/redress",
        "mysql://localhost/redress",
    ] {
        let output = redress_command(&db)
            .env("DATABASE_URL", url)
            .arg("migrate")
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains("DATABASE_URL") && stderr.contains("unknown database URL scheme"),
            "{stderr}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(db.dir.path())?
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "files were created: {left:?}");
    Ok(())
}

#[test]
fn bad_settings_name_the_setting_and_exit_non_zero() -> TestResult {
    let db = TestDb::new();
    for (name, value) in [
        ("REDRESS_BIND", "nowhere"),
        ("REDRESS_MAIL_URL", "ftp://mail"),
        ("REDRESS_BASE_URL", "::"),
    ] {
        let output = redress_command(&db)
            .env(name, value)
            .arg("migrate")
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
    Ok(())
}

#[test]
fn bad_smtp_options_stop_the_mail_worker_naming_the_setting() -> TestResult {
    let db = TestDb::new();
    for (url, says) in [
        ("smtp://127.0.0.1:2525?timeout=0", "timeout=0"),
        ("smtp://127.0.0.1:2525?timeout=soon", "timeout=soon"),
        ("smtp://127.0.0.1:2525?timeout=91", "timeout=91"),
        ("smtp://127.0.0.1:2525?tls=maybe", "tls=maybe"),
        ("smtps://127.0.0.1:2525?tls=none", "tls=none"),
    ] {
        let output = redress_command(&db)
            .env("REDRESS_MAIL_URL", url)
            .args(["mail", "work"])
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{url}: {stderr}");
        assert!(
            stderr.contains("REDRESS_MAIL_URL") && stderr.contains(says),
            "{url}: {stderr}"
        );
    }
    Ok(())
}

#[test]
fn migrate_applies_then_has_nothing_to_do() -> TestResult {
    let db = TestDb::new();
    let first = redress_command(&db).arg("migrate").output()?;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let versions = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"),
    )?
    .count();
    assert!(versions >= 2);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.starts_with(&format!("{versions} migration(s) applied")),
        "{stdout}"
    );
    let second = redress_command(&db).arg("migrate").output()?;
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("0 migration(s) applied"));
    Ok(())
}

#[test]
fn agent_add_reads_the_password_from_stdin_and_checks_it() -> TestResult {
    let db = TestDb::new();
    let add = |password: &str, email: &str| -> std::io::Result<std::process::Output> {
        let mut child = redress_command(&db)
            .args([
                "agent",
                "add",
                "--email",
                email,
                "--name",
                "Mei Lin",
                "--role",
                "supervisor",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}")?;
        }
        child.wait_with_output()
    };

    let short = add("too short", "mei@example.com")?;
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let added = add("a long enough passphrase", "Mei@Example.com")?;
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stdout).contains("mei@example.com (supervisor)"));

    let again = add("another long passphrase", "mei@example.com")?;
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let mut conn = db.conn();
    use diesel::prelude::*;
    use redress::db::schema::agents;
    let (role, hash): (String, String) = agents::table
        .select((agents::role, agents::password_hash))
        .first(&mut conn)?;
    assert_eq!(role, "supervisor");
    assert!(hash.starts_with("$argon2id$"));
    assert!(redress::agents::verify_password(
        "a long enough passphrase",
        &hash
    ));
    Ok(())
}

#[test]
fn agent_add_refuses_an_unknown_role() -> TestResult {
    let db = TestDb::new();
    let output = redress_command(&db)
        .args([
            "agent",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "root",
        ])
        .stdin(Stdio::null())
        .output()?;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("'root' is not a role"));
    Ok(())
}

#[test]
fn serve_answers_then_stops_gracefully_on_sigterm() -> TestResult {
    let db = TestDb::new();
    let mut child = redress_command(&db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines.next().ok_or("serve exited before listening")??;
        if let Some(rest) = line.split("address=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    let health = reqwest::blocking::get(format!("http://{address}/healthz"))?;
    assert_eq!(health.status(), 200);

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait()? {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        lines
            .map_while(Result::ok)
            .any(|line| line.contains("stopped"))
    );
    Ok(())
}

#[test]
fn ledger_verify_passes_a_sound_ledger_and_names_what_is_broken() -> TestResult {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new();
    let generated = redress_command(&db)
        .args(["generate", "--tickets", "80", "--customers", "20"])
        .output()?;
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );

    let sound = redress_command(&db).args(["ledger", "verify"]).output()?;
    let stdout = String::from_utf8_lossy(&sound.stdout);
    assert!(sound.status.success(), "{stdout}");
    assert!(
        stdout.contains("ledger balances:") && stdout.contains("currencies CNY, USDT"),
        "{stdout}"
    );

    // Tamper with a cached balance and with a refund, behind the ledger's back.
    db.conn().batch_execute(
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE code = 'wallet:5:CNY';
         UPDATE transactions SET amount_minor = amount_minor * 3
          WHERE id = (SELECT MIN(id) FROM transactions WHERE kind = 'refund');",
    )?;
    let broken = redress_command(&db).args(["ledger", "verify"]).output()?;
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("VIOLATION account wallet:5:CNY"),
        "{stdout}"
    );
    assert!(stdout.contains("VIOLATION CNY: debits"), "{stdout}");
    assert!(
        stdout.contains("refunded") && stdout.contains("LEDGER BROKEN"),
        "{stdout}"
    );
    Ok(())
}

#[test]
fn a_process_killed_in_a_burst_of_refunds_leaves_a_sound_ledger() -> TestResult {
    let db = TestDb::new();
    let mut child = redress_command(&db)
        .args(["bench", "ledger", "--refunds", "1500", "--threads", "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let started = lines.next().ok_or("the benchmark printed nothing")??;
    assert!(started.starts_with("refunding 1500 payments"), "{started}");
    // Let some refunds commit, then kill the process without warning.
    std::thread::sleep(Duration::from_millis(700));
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()?;
    assert!(killed.success());
    let exit = child.wait()?;
    assert!(
        !exit.success(),
        "the benchmark finished before it was killed"
    );

    let ledger = redress_command(&db).args(["ledger", "verify"]).output()?;
    assert!(
        ledger.status.success(),
        "{}",
        String::from_utf8_lossy(&ledger.stdout)
    );
    let audit = redress_command(&db).args(["audit", "verify"]).output()?;
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );

    // Some refunds happened, not all, and each one whole: a refund transaction
    // for every refunded payment and none for the others.
    use diesel::prelude::*;
    use redress::db::schema::transactions;
    let mut conn = db.conn();
    let refunded: i64 = transactions::table
        .filter(transactions::kind.eq("payment"))
        .filter(transactions::status.eq("refunded"))
        .count()
        .get_result(&mut conn)?;
    let refunds: i64 = transactions::table
        .filter(transactions::kind.eq("refund"))
        .count()
        .get_result(&mut conn)?;
    assert_eq!(refunded, refunds);
    assert!(refunds > 0 && refunds < 1500, "{refunds} refunds");
    Ok(())
}

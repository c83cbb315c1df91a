//! The audit log's hash chain: intact under concurrent writers, and any
//! edit or removal is found.

use crate::helpers::{TestDb, TestResult, redress_command};
use diesel::connection::SimpleConnection;
use redress::audit::{AuditEntry, ChainBreak, record, verify_chain};
use redress::db::{Database, DbConnection};
use redress::domain::AuditActor;

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        actor: AuditActor::System,
        agent: None,
        action: "test.step".to_owned(),
        entity_type: "test".to_owned(),
        entity_id: n.to_string(),
        ticket: None,
        before: Some(serde_json::json!({ "n": n })),
        after: Some(serde_json::json!({ "n": n + 1, "note": "<script>x</script>\u{1f}" })),
    }
}

fn write_chain(conn: &mut DbConnection, rows: usize) {
    for n in 0..rows {
        record(conn, entry(n)).expect("an audit row");
    }
}

#[test]
fn concurrent_writers_keep_one_unbroken_chain() -> TestResult {
    let db = TestDb::new();
    let database = Database::open(&db.url, 8)?;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let database = database.clone();
            std::thread::spawn(move || -> Result<(), String> {
                let mut conn = database.conn().map_err(|e| e.to_string())?;
                for n in 0..5 {
                    record(&mut conn, entry(t * 100 + n)).map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a writer panicked")??;
    }
    let report = verify_chain(&mut db.conn())?;
    assert_eq!((report.rows, report.first_break), (40, None));
    Ok(())
}

#[test]
fn an_edited_row_is_found() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_chain(&mut conn, 6);
    assert_eq!(verify_chain(&mut conn)?.first_break, None);
    conn.batch_execute("UPDATE audit_log SET after_json = '{\"n\":999}' WHERE id = 4")?;
    let report = verify_chain(&mut conn)?;
    assert_eq!(
        (report.rows, report.first_break),
        (3, Some(ChainBreak::Edited { seq: 4 }))
    );
    Ok(())
}

#[test]
fn a_removed_row_is_found() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_chain(&mut conn, 6);
    conn.batch_execute("DELETE FROM audit_log WHERE id = 3")?;
    assert_eq!(
        verify_chain(&mut conn)?.first_break,
        Some(ChainBreak::Missing { seq: 3 })
    );
    Ok(())
}

#[test]
fn removing_the_newest_rows_is_found() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_chain(&mut conn, 6);
    conn.batch_execute("DELETE FROM audit_log WHERE id >= 5")?;
    assert_eq!(
        verify_chain(&mut conn)?.first_break,
        Some(ChainBreak::TailMissing {
            last_present: 4,
            expected: 6
        })
    );
    Ok(())
}

#[test]
fn a_rehashed_row_no_longer_links() -> TestResult {
    // Someone who edits a row and recomputes its hash breaks the next link.
    let db = TestDb::new();
    let mut conn = db.conn();
    write_chain(&mut conn, 4);
    conn.batch_execute("UPDATE audit_log SET hash = 'forged' WHERE id = 2")?;
    assert_eq!(
        verify_chain(&mut conn)?.first_break,
        Some(ChainBreak::Edited { seq: 2 })
    );
    Ok(())
}

#[test]
fn audit_verify_command_reports_and_exits_1_on_a_break() -> TestResult {
    let db = TestDb::new();
    write_chain(&mut db.conn(), 3);
    let intact = redress_command(&db).args(["audit", "verify"]).output()?;
    assert!(intact.status.success());
    assert_eq!(
        String::from_utf8_lossy(&intact.stdout).trim(),
        "audit log intact: 3 rows"
    );

    db.conn()
        .batch_execute("UPDATE audit_log SET action = 'nothing.happened' WHERE id = 2")?;
    let broken = redress_command(&db).args(["audit", "verify"]).output()?;
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("AUDIT LOG BROKEN: row 2 was edited"));
    Ok(())
}

#[test]
fn adding_an_agent_is_audited() -> TestResult {
    use diesel::prelude::*;
    use redress::db::schema::audit_log;
    let db = TestDb::new();
    let mut conn = db.conn();
    let request = redress::agents::NewAgentRequest::parse(
        "audited@example.com",
        "Audited",
        redress::domain::Role::Admin,
        "a long enough passphrase",
    )?;
    let id = redress::agents::add_agent(&mut conn, request, None)?;
    let (action, entity, after): (String, String, Option<String>) = audit_log::table
        .select((
            audit_log::action,
            audit_log::entity_id,
            audit_log::after_json,
        ))
        .first(&mut conn)?;
    assert_eq!((action.as_str(), entity), ("agent.add", id.to_string()));
    assert!(after.is_some_and(|a| a.contains("\"role\":\"admin\"") && !a.contains("argon2")));
    assert_eq!(verify_chain(&mut conn)?.rows, 1);
    Ok(())
}

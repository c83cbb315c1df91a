//! The schema on a real database: migrations apply, `schema.rs` matches
//! what they create, and bad URLs are refused.

use crate::helpers::{TestDb, TestResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use redress::db::{self, DatabaseUrl, DatabaseUrlError, DbConnection};
use std::collections::BTreeMap;
use std::path::Path;

/// table → column → (diesel type, nullable)
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// Reads `src/db/schema.rs` the way diesel's `table!` lays it out.
fn schema_rs_columns() -> Columns {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db/schema.rs"))
            .expect("schema.rs is readable");
    let mut tables = Columns::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some((name, _)) = line.split_once(" (").filter(|_| line.ends_with(") {")) {
            current = Some(name.to_owned());
        } else if line == "}" {
            current = None;
        } else if let (Some(table), Some((column, ty))) = (&current, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let (ty, nullable) = match ty
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner, true),
                None => (ty, false),
            };
            // diesel prints PostgreSQL's name for BIGINT; the type is the same.
            let ty = if ty == "Int8" { "BigInt" } else { ty };
            tables
                .entry(table.clone())
                .or_default()
                .insert(column.to_owned(), (ty.to_owned(), nullable));
        }
    }
    tables
}

#[derive(QueryableByName)]
struct IntrospectedColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = BigInt)]
    nullable: i64,
}

/// What the migrations actually created, in diesel's types.
fn database_columns(conn: &mut DbConnection) -> Columns {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, c.name AS column_name, UPPER(c.type) AS column_type,
                    CAST(c.\"notnull\" = 0 AND c.pk = 0 AS BIGINT) AS nullable
             FROM sqlite_master m JOIN pragma_table_xinfo(m.name) c
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
        }
        DbConnection::Postgres(_) => {
            "SELECT table_name::TEXT AS table_name, column_name::TEXT AS column_name, data_type::TEXT AS column_type,
                    CAST(CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS BIGINT) AS nullable
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let rows: Vec<IntrospectedColumn> = diesel::sql_query(query)
        .load(conn)
        .expect("the catalogue is readable");
    let mut tables = Columns::new();
    for row in rows {
        let ty = match row.column_type.as_str() {
            "INTEGER" | "BIGINT" | "bigint" => "BigInt",
            "TEXT" | "text" => "Text",
            "TIMESTAMP" | "timestamp without time zone" => "Timestamp",
            "BOOLEAN" | "boolean" => "Bool",
            other => panic!(
                "{}.{} has a type outside the portable set: {other}",
                row.table_name, row.column_name
            ),
        };
        tables
            .entry(row.table_name)
            .or_default()
            .insert(row.column_name, (ty.to_owned(), row.nullable == 1));
    }
    tables
}

#[test]
fn migrations_apply_and_match_schema_rs() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    let expected = schema_rs_columns();
    assert!(
        expected.len() >= 20,
        "schema.rs lists {} tables",
        expected.len()
    );
    assert!(expected["tickets"].contains_key("resolution_due_at"));
    assert_eq!(database_columns(&mut conn), expected);

    // A second run finds nothing to do.
    assert!(db::run_migrations(&mut conn)?.is_empty());
    assert!(db::schema_version(&mut conn)?.is_some());
    Ok(())
}

fn migration_versions(backend: &str) -> Vec<String> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut versions: Vec<String> = std::fs::read_dir(&folder)
        .expect("the migrations folder exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("up.sql").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = migration_versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_versions("postgres"));
}

#[test]
fn sqlite_connections_are_durable_and_checked() -> TestResult {
    let db = TestDb::new();
    if db.is_postgres() {
        return Ok(());
    }
    let database = db::Database::open(&db.url, 2)?;
    let mut conn = database.conn()?;
    #[derive(QueryableByName)]
    struct Pragma {
        #[diesel(sql_type = Text)]
        value: String,
    }
    let mut pragma = |name: &str, column: &str| -> String {
        diesel::sql_query(format!(
            "SELECT CAST({column} AS TEXT) AS value FROM pragma_{name}"
        ))
        .get_result::<Pragma>(&mut *conn)
        .map(|row| row.value)
        .unwrap_or_default()
    };
    assert_eq!(pragma("journal_mode", "journal_mode"), "wal");
    assert_eq!(pragma("foreign_keys", "foreign_keys"), "1");
    assert_eq!(
        pragma("synchronous", "synchronous"),
        "2",
        "synchronous=FULL"
    );
    assert_eq!(pragma("busy_timeout", "timeout"), "10000");
    Ok(())
}

#[test]
fn unknown_and_mistyped_urls_are_refused() {
    for text in [
        "postgress://localhost/redress",
        "mysql://localhost/redress",
        "localhost:5432/redress",
    ] {
        assert!(
            matches!(
                DatabaseUrl::parse(text),
                Err(DatabaseUrlError::UnknownScheme(_))
            ),
            "{text}"
        );
    }
}

#[test]
fn an_unreachable_postgres_is_an_error() {
    // Port 1 on loopback: nothing listens there.
    let url =
        DatabaseUrl::parse("postgres://redress@127.0.0.1:1/redress").expect("a PostgreSQL URL");
    let error = db::establish(&url)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("127.0.0.1"), "{error}");
}

#[test]
fn a_refused_write_leaves_the_writes_committed_with_it_standing() -> TestResult {
    use redress::db::schema::customers;
    use redress::domain::{CustomerStatus, Locale};
    let db = TestDb::new();
    let database = db::Database::open(&db.url, 4)?;
    // Sixteen writers at once, so SQLite's writer commits several together;
    // the odd ones insert a customer and then refuse.
    let results = crate::helpers::race_writes(&database, |n, conn| {
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(customers::table)
            .values((
                customers::external_ref.eq(format!("W-{n}")),
                customers::email.eq(format!("w{n}@example.com")),
                customers::name.eq(format!("Writer {n}")),
                customers::locale.eq(Locale::En),
                customers::status.eq(CustomerStatus::Active),
                customers::identity_verified.eq(false),
                customers::created_at.eq(now),
                customers::updated_at.eq(now),
            ))
            .execute(conn)?;
        if n % 2 == 1 {
            return Err(db::DbError::Query(
                diesel::result::Error::RollbackTransaction,
            ));
        }
        Ok(n)
    });
    let mut committed: Vec<usize> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    committed.sort_unstable();
    assert_eq!(committed, (0..16).step_by(2).collect::<Vec<_>>());
    assert!(results.iter().filter(|r| r.is_err()).all(|r| matches!(
        r,
        Err(db::DbError::Query(
            diesel::result::Error::RollbackTransaction
        ))
    )));

    let mut stored: Vec<String> = customers::table
        .select(customers::external_ref)
        .load(&mut db.conn())?;
    stored.sort_by_key(|r| {
        r.trim_start_matches("W-")
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    });
    let expected: Vec<String> = (0..16).step_by(2).map(|n| format!("W-{n}")).collect();
    assert_eq!(stored, expected);
    Ok(())
}

//! `redress import FILE.jsonl`: the API's records in bulk, one JSON object
//! a line, each applied in its own database transaction so a bad line
//! moves nothing of its own and leaves the others standing.

use super::customers::{CustomerRecord, IngestError, StatusRecord, set_status, upsert_customer};
use super::transactions::{
    TransactionRecord, TransactionStatusRecord, record_transaction, update_transaction_status,
};
use crate::db::{Database, DbConnection};
use serde::Deserialize;
use std::io::BufRead;

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ImportLine {
    Customer {
        external_ref: String,
        email: String,
        name: String,
        #[serde(default)]
        phone: Option<String>,
        locale: String,
    },
    Transaction(TransactionRecord),
    TransactionStatus {
        reference: String,
        status: String,
        #[serde(default)]
        failure_reason: Option<String>,
    },
    Status {
        customer: String,
        status: String,
        #[serde(default)]
        reason: Option<String>,
    },
}

#[derive(Debug, Default)]
pub struct ImportSummary {
    pub applied: usize,
    /// (line number, why it was refused)
    pub refused: Vec<(usize, String)>,
}

/// Applies each line through the write path, as the API does.
pub fn import(db: &Database, input: impl BufRead) -> std::io::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let applied = serde_json::from_str::<ImportLine>(&line)
            .map_err(|error| error.to_string())
            .and_then(|record| {
                db.write_blocking(move |conn| apply(conn, &record))
                    .map_err(|error| error.to_string())
            });
        match applied {
            Ok(()) => summary.applied += 1,
            Err(reason) => summary.refused.push((number, reason)),
        }
    }
    Ok(summary)
}

fn apply(conn: &mut DbConnection, record: &ImportLine) -> Result<(), IngestError> {
    match record.clone() {
        ImportLine::Customer {
            external_ref,
            email,
            name,
            phone,
            locale,
        } => upsert_customer(
            conn,
            &external_ref,
            &CustomerRecord {
                email,
                name,
                phone,
                locale,
            },
        )
        .map(|_| ()),
        ImportLine::Transaction(record) => record_transaction(conn, &record).map(|_| ()),
        ImportLine::TransactionStatus {
            reference,
            status,
            failure_reason,
        } => update_transaction_status(
            conn,
            &reference,
            &TransactionStatusRecord {
                status,
                failure_reason,
            },
        )
        .map(|_| ()),
        ImportLine::Status {
            customer,
            status,
            reason,
        } => set_status(conn, &customer, &StatusRecord { status, reason }).map(|_| ()),
    }
}

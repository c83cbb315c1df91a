//! Evidence files users send (screenshots, receipts): accepted only when
//! their content is a PNG, a JPEG or a PDF, whatever their name or declared
//! type says; stored outside the web root under random names with their
//! SHA-256, and listed on the ticket.

use crate::db::schema::attachments;
use crate::db::{DbConnection, DbError};
use crate::domain::{TicketEventId, TicketId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Most files one message or dispute may carry.
pub const MAX_FILES: usize = 5;
/// Longest file name kept (in characters).
const MAX_NAME_CHARS: usize = 120;

/// The kinds of file accepted, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Png,
    Jpeg,
    Pdf,
}

impl FileKind {
    /// What the bytes are, by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if infer::image::is_png(bytes) {
            Some(FileKind::Png)
        } else if infer::image::is_jpeg(bytes) {
            Some(FileKind::Jpeg)
        } else if infer::archive::is_pdf(bytes) {
            Some(FileKind::Pdf)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Pdf => "pdf",
        }
    }
}

/// Why a file was not accepted; each has words in the catalogs
/// (`evidence-refused-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Not a PNG, JPEG or PDF by content.
    NotAllowedType,
    TooLarge,
    TooMany,
    Empty,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::NotAllowedType => "evidence-refused-type",
            Refusal::TooLarge => "evidence-refused-size",
            Refusal::TooMany => "evidence-refused-count",
            Refusal::Empty => "evidence-refused-empty",
        }
    }
}

/// A file that passed the checks, not yet stored.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub name: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// A file that did not, with its name as the sender gave it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefusedFile {
    pub name: String,
    pub reason: Refusal,
}

/// Checks one file, given how many were accepted before it.
pub fn check(
    name: Option<&str>,
    bytes: Vec<u8>,
    accepted: usize,
) -> Result<CheckedFile, RefusedFile> {
    let refuse = |reason| RefusedFile {
        name: file_name(name, None),
        reason,
    };
    if accepted >= MAX_FILES {
        return Err(refuse(Refusal::TooMany));
    }
    if bytes.is_empty() {
        return Err(refuse(Refusal::Empty));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refuse(Refusal::TooLarge));
    }
    let kind = FileKind::sniff(&bytes).ok_or_else(|| refuse(Refusal::NotAllowedType))?;
    Ok(CheckedFile {
        name: file_name(name, Some(kind)),
        kind,
        bytes,
    })
}

/// A file's name as it will be shown, whatever its content.
pub fn shown_name(name: Option<&str>) -> String {
    file_name(name, None)
}

/// A name safe to show and to put in a download header: its last path
/// part, no control characters or quotes, bounded; "file.png" and the like
/// when there is none.
fn file_name(name: Option<&str>, kind: Option<FileKind>) -> String {
    let base = name
        .and_then(|name| name.rsplit(['/', '\\']).next())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(MAX_NAME_CHARS)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() {
        format!("file.{}", kind.map_or("bin", FileKind::extension))
    } else {
        base.to_owned()
    }
}

/// A file written to the evidence directory.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub kind: FileKind,
    pub storage_name: String,
    pub size: i64,
    pub sha256: String,
}

/// Where evidence files live, under the data directory (never served as
/// static files).
pub fn directory(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

/// Writes the files under random names; on a failure, those already
/// written are removed.
pub fn store(dir: &Path, files: Vec<CheckedFile>) -> std::io::Result<Vec<StoredFile>> {
    std::fs::create_dir_all(dir)?;
    let mut stored = Vec::with_capacity(files.len());
    for file in files {
        match store_one(dir, file) {
            Ok(one) => stored.push(one),
            Err(error) => {
                discard(dir, &stored);
                return Err(error);
            }
        }
    }
    Ok(stored)
}

fn store_one(dir: &Path, file: CheckedFile) -> std::io::Result<StoredFile> {
    let mut random = [0_u8; 16];
    rand::rng().fill_bytes(&mut random);
    let storage_name = hex::encode(random);
    let path = dir.join(&storage_name);
    std::fs::write(&path, &file.bytes)?;
    Ok(StoredFile {
        size: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
        sha256: hex::encode(Sha256::digest(&file.bytes)),
        name: file.name,
        kind: file.kind,
        storage_name,
    })
}

/// Removes stored files whose database rows were never written.
pub fn discard(dir: &Path, files: &[StoredFile]) {
    for file in files {
        if let Err(error) = std::fs::remove_file(dir.join(&file.storage_name)) {
            tracing::warn!(file = %file.storage_name, %error, "an unused evidence file could not be removed");
        }
    }
}

/// Records stored files as the ticket's attachments, on the event that
/// brought them, in the caller's transaction.
pub fn attach(
    conn: &mut DbConnection,
    ticket: TicketId,
    event: TicketEventId,
    uploaded_by: crate::domain::Actor,
    files: &[StoredFile],
    at: NaiveDateTime,
) -> Result<(), DbError> {
    for file in files {
        diesel::insert_into(attachments::table)
            .values((
                attachments::ticket_id.eq(ticket),
                attachments::event_id.eq(Some(event)),
                attachments::storage_name.eq(&file.storage_name),
                attachments::original_name.eq(&file.name),
                attachments::content_type.eq(file.kind.content_type()),
                attachments::size_bytes.eq(file.size),
                attachments::sha256.eq(&file.sha256),
                attachments::uploaded_by.eq(uploaded_by.as_str()),
                attachments::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A stored file as agents download it.
#[derive(Debug, Clone)]
pub struct Download {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The attachment `id`, read from the evidence folder; none when it is
/// unknown or its file is gone.
pub fn read(conn: &mut DbConnection, dir: &Path, id: i64) -> Result<Option<Download>, DbError> {
    let row: Option<(String, String, String)> = attachments::table
        .find(id)
        .select((
            attachments::storage_name,
            attachments::original_name,
            attachments::content_type,
        ))
        .first(conn)
        .optional()?;
    let Some((storage_name, name, content_type)) = row else {
        return Ok(None);
    };
    // Storage names are ours (hex), never a path from outside.
    if !storage_name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    match std::fs::read(dir.join(&storage_name)) {
        Ok(bytes) => Ok(Some(Download {
            name,
            content_type,
            bytes,
        })),
        Err(error) => {
            tracing::warn!(attachment = id, %error, "an evidence file cannot be read");
            Ok(None)
        }
    }
}

impl Download {
    /// Whether it may be shown inline as an image: an image type, and its
    /// content still is one of that type.
    pub fn is_previewable(&self) -> bool {
        match FileKind::sniff(&self.bytes) {
            Some(kind @ (FileKind::Png | FileKind::Jpeg)) => {
                kind.content_type() == self.content_type
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn files_are_judged_by_content_not_name() {
        assert_eq!(
            check(Some("a.png"), PNG.to_vec(), 0).map(|f| f.kind),
            Ok(FileKind::Png)
        );
        assert_eq!(
            check(Some("receipt.png"), b"<html><script>x</script>".to_vec(), 0).map(|f| f.kind),
            Err(RefusedFile {
                name: "receipt.png".into(),
                reason: Refusal::NotAllowedType
            })
        );
        assert_eq!(
            check(Some("scan.bin"), b"%PDF-1.7\n".to_vec(), 0).map(|f| f.kind),
            Ok(FileKind::Pdf)
        );
        assert_eq!(
            check(None, b"\xff\xd8\xff\xe0\0\x10JFIF".to_vec(), 0).map(|f| f.name),
            Ok("file.jpg".into())
        );
    }

    #[test]
    fn size_count_and_names_are_bounded() {
        let big = [PNG, &vec![0_u8; MAX_FILE_BYTES]].concat();
        assert_eq!(
            check(Some("big.png"), big, 0)
                .map(|f| f.kind)
                .unwrap_err()
                .reason,
            Refusal::TooLarge
        );
        assert_eq!(
            check(Some("a.png"), PNG.to_vec(), MAX_FILES)
                .map(|f| f.kind)
                .unwrap_err()
                .reason,
            Refusal::TooMany
        );
        assert_eq!(
            check(Some("../../etc/\"x\r\n.png"), PNG.to_vec(), 0).map(|f| f.name),
            Ok("x.png".into())
        );
    }
}

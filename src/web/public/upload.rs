//! Reading a multipart form with files, within limits: text fields are
//! short, each file is at most 5 MB (a larger one is noted, not kept), and
//! the whole body has a ceiling past which the request is answered 413.
//! The body is always read to its end (up to a hard cap), so the browser
//! gets the answer instead of a dropped connection.

use crate::evidence::{self, CheckedFile, MAX_FILE_BYTES, MAX_FILES, Refusal, RefusedFile};
use actix_multipart::Multipart;
use actix_web::web::Payload;
use actix_web::{HttpRequest, http::header};
use futures_util::StreamExt;
use std::collections::HashMap;

/// Largest body taken: five largest files and the text.
pub const MAX_BODY_BYTES: usize = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024;
/// Beyond this the body is not even read to its end.
const DRAIN_LIMIT: usize = 4 * MAX_BODY_BYTES;
/// Longest text field kept.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// The file input's name.
pub const FILES_FIELD: &str = "evidence";
/// Forms read at once by one process; more wait their turn, so memory
/// stays within this many bodies.
static UPLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(8);

/// A form as read: its text fields, the files that passed their checks
/// and those that did not.
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<CheckedFile>,
    pub refused: Vec<RefusedFile>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the form is larger than allowed")]
    TooLarge,
    #[error("the form could not be read")]
    Unreadable,
}

/// Reads the form. Files are checked by content as they come; a file over
/// the size limit, of another type, or past the fifth is refused by name.
pub async fn read(request: &HttpRequest, mut payload: Payload) -> Result<Upload, UploadError> {
    // Forms with files are held in memory while read: a few at a time.
    let _turn = UPLOADS
        .acquire()
        .await
        .map_err(|_| UploadError::Unreadable)?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        drain(&mut payload).await;
        return Err(UploadError::TooLarge);
    }
    let mut multipart = Multipart::new(request.headers(), payload);
    let mut upload = Upload::default();
    let mut total = 0_usize;
    let mut over = false;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| UploadError::Unreadable)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let limit = if name == FILES_FIELD {
            MAX_FILE_BYTES
        } else {
            MAX_FIELD_BYTES
        };
        let mut bytes = Vec::new();
        let mut too_big = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| UploadError::Unreadable)?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                over = true;
            }
            if total > DRAIN_LIMIT {
                return Err(UploadError::TooLarge);
            }
            if over || bytes.len() + chunk.len() > limit {
                too_big = true;
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if over {
            continue;
        }
        if name == FILES_FIELD {
            // A file input left empty still sends an empty part.
            if file_name.as_deref().unwrap_or_default().is_empty() && bytes.is_empty() {
                continue;
            }
            if too_big {
                upload.refused.push(RefusedFile {
                    name: evidence::shown_name(file_name.as_deref()),
                    reason: Refusal::TooLarge,
                });
                continue;
            }
            match evidence::check(file_name.as_deref(), bytes, upload.files.len()) {
                Ok(file) => upload.files.push(file),
                Err(refused) => upload.refused.push(refused),
            }
        } else if !too_big && upload.fields.len() < 32 {
            upload
                .fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    if over {
        return Err(UploadError::TooLarge);
    }
    Ok(upload)
}

/// Reads and drops what is left of a body, up to the hard cap.
async fn drain(payload: &mut Payload) {
    let mut read = 0_usize;
    while let Some(Ok(chunk)) = payload.next().await {
        read += chunk.len();
        if read > DRAIN_LIMIT {
            break;
        }
    }
}

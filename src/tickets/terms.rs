//! The subject index behind search: each ticket's words (lower-cased), and
//! for Chinese text, which has no spaces, every two-character piece. A
//! search looks its terms up by equality, so it stays an index look-up at
//! any size, on both databases.

use crate::db::schema::ticket_terms;
use crate::db::{DbConnection, DbError};
use crate::domain::TicketId;
use diesel::prelude::*;
use std::collections::BTreeSet;

/// Longest term kept; longer words are cut, the same way for tickets and
/// searches.
const MAX_TERM_CHARS: usize = 40;

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The terms of a text.
pub fn terms_of(text: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    let lowered = text.to_lowercase();
    let mut word = String::new();
    let mut han: Vec<char> = Vec::new();
    let flush = |word: &mut String, han: &mut Vec<char>, terms: &mut BTreeSet<String>| {
        if !word.is_empty() {
            terms.insert(word.chars().take(MAX_TERM_CHARS).collect());
            word.clear();
        }
        match han.len() {
            0 => {}
            1 => {
                terms.insert(han[0].to_string());
            }
            _ => {
                for pair in han.windows(2) {
                    terms.insert(pair.iter().collect());
                }
            }
        }
        han.clear();
    };
    for c in lowered.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                flush(&mut word, &mut Vec::new(), &mut terms);
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            if !han.is_empty() {
                flush(&mut String::new(), &mut han, &mut terms);
            }
            word.push(c);
        } else {
            flush(&mut word, &mut han, &mut terms);
        }
    }
    flush(&mut word, &mut han, &mut terms);
    terms
}

/// Indexes a ticket's subject, replacing what was indexed before.
pub fn index(conn: &mut DbConnection, ticket: TicketId, subject: &str) -> Result<(), DbError> {
    diesel::delete(ticket_terms::table.filter(ticket_terms::ticket_id.eq(ticket))).execute(conn)?;
    for term in terms_of(subject) {
        diesel::insert_into(ticket_terms::table)
            .values((
                ticket_terms::term.eq(term),
                ticket_terms::ticket_id.eq(ticket),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Tickets whose subject holds every term of `text`, at most `limit` of
/// them (newest first); None when the text has no terms.
pub fn matching(
    conn: &mut DbConnection,
    text: &str,
    limit: i64,
) -> Result<Option<Vec<TicketId>>, DbError> {
    let terms = terms_of(text);
    let mut terms = terms.into_iter();
    let Some(first) = terms.next() else {
        return Ok(None);
    };
    let mut query = ticket_terms::table
        .filter(ticket_terms::term.eq(first))
        .select(ticket_terms::ticket_id)
        .order(ticket_terms::ticket_id.desc())
        .limit(limit)
        .into_boxed();
    for term in terms {
        let alias = diesel::alias!(ticket_terms as other);
        query = query.filter(
            ticket_terms::ticket_id.eq_any(
                alias
                    .filter(alias.field(ticket_terms::term).eq(term))
                    .select(alias.field(ticket_terms::ticket_id)),
            ),
        );
    }
    Ok(Some(query.load(conn)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        terms_of(text).into_iter().collect()
    }

    #[test]
    fn words_are_lower_cased_and_split_on_punctuation() {
        assert_eq!(
            terms("Refund not received — TX123, please!"),
            ["please", "received", "refund", "not", "tx123"]
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn chinese_is_cut_into_pairs() {
        assert_eq!(terms("退款未到账"), ["到账", "未到", "款未", "退款"]);
        assert_eq!(terms("USDT退款"), ["usdt", "退款"]);
        assert_eq!(terms("钱"), ["钱"]);
    }
}

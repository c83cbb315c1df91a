//! Counting tries per key (an account, an address) in a window, shared by
//! sign-ins and public dispute forms. Each count is a conditional update of
//! the key's row, so a burst of tries at once, on any number of instances,
//! cannot pass the limit.

use crate::db::schema::login_throttles;
use crate::db::{DbConnection, DbError};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Counts one try of `key` in the caller's transaction. Answers `Ok(Ok(()))`
/// when it was counted, `Ok(Err(minutes))` when `limit` tries were made in
/// the current `window` (tries are allowed again in that many minutes).
pub fn count(
    conn: &mut DbConnection,
    key: &str,
    limit: usize,
    window: Duration,
    at: NaiveDateTime,
) -> Result<Result<(), i64>, DbError> {
    use login_throttles::dsl as t;
    let since = at - window;
    // Twice at most: a key seen for the first time by two tries at once is
    // inserted by one of them, and the other counts on the row it finds.
    for _ in 0..2 {
        // A window that has passed starts again with this try.
        let restarted = diesel::update(
            t::login_throttles
                .filter(t::key.eq(key))
                .filter(t::window_started_at.le(since)),
        )
        .set((t::window_started_at.eq(at), t::tries.eq(1_i64)))
        .execute(conn)?;
        let counted = restarted == 1
            || diesel::update(
                t::login_throttles
                    .filter(t::key.eq(key))
                    .filter(t::window_started_at.gt(since))
                    .filter(t::tries.lt(i64::try_from(limit).unwrap_or(i64::MAX))),
            )
            .set(t::tries.eq(t::tries + 1))
            .execute(conn)?
                == 1;
        if counted {
            return Ok(Ok(()));
        }
        let started: Option<NaiveDateTime> = t::login_throttles
            .find(key)
            .select(t::window_started_at)
            .first(conn)
            .optional()?;
        if let Some(started) = started {
            let wait = (started + window - at).num_seconds();
            return Ok(Err((wait + 59).div_euclid(60).max(1)));
        }
        // A savepoint keeps a lost race to insert the row from failing the
        // transaction.
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(t::login_throttles)
                .values((
                    t::key.eq(key),
                    t::window_started_at.eq(at),
                    t::tries.eq(1_i64),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => return Ok(Ok(())),
            Err(error) if crate::db::is_unique_violation(&error) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(DbError::Unavailable(format!(
        "the count of {key} could not be kept"
    )))
}

/// The key counting a client address: an IPv6 address by its /64 (one
/// host is given a whole /64), anything else as it is.
pub fn address_key(prefix: &str, address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let segments = v6.segments();
            format!(
                "{prefix}:{:x}:{:x}:{:x}:{:x}::/64",
                segments[0], segments[1], segments[2], segments[3]
            )
        }
        _ => format!("{prefix}:{address}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(
            address_key("dispute", "2001:db8:1:2:aaaa::1"),
            address_key("dispute", "2001:db8:1:2:bbbb::9")
        );
        assert_eq!(address_key("dispute", "192.0.2.7"), "dispute:192.0.2.7");
    }
}

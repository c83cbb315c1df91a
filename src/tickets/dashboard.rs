//! The dashboard's figures: open tickets by category and status, SLA
//! breaches, response and resolution medians, tickets opened per day.

use super::UNSOLVED;
use super::sla::BusinessCalendar;
use crate::db::schema::tickets;
use crate::db::{DbConnection, DbError};
use crate::domain::{TicketCategory, TicketId};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::BTreeMap;

/// Breaches, and each open count, are counted to here.
pub const BREACH_CAP: usize = 1000;
pub const COUNT_CAP: usize = 1000;
/// Medians are taken over at most this many of the period's latest tickets.
pub const SAMPLE: i64 = 5_000;
/// Days the chart covers.
pub const CHART_DAYS: i64 = 30;

#[derive(Debug, Clone, Default)]
pub struct Medians {
    /// Minutes from opening to the first public reply.
    pub first_response: Option<i64>,
    /// Minutes from opening to solved.
    pub resolution: Option<i64>,
    /// Tickets the medians were taken over: those opened in the period,
    /// the latest `SAMPLE` at most.
    pub tickets: usize,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Open tickets per category, per unsolved status, in `UNSOLVED` order.
    pub open: BTreeMap<TicketCategory, [i64; 4]>,
    pub breaching: usize,
    /// Tickets with a remedy waiting for approval (to the queue's cap).
    pub awaiting_approval: usize,
    pub last_7_days: Medians,
    pub last_30_days: Medians,
    /// Tickets opened per local day, oldest first.
    pub per_day: Vec<(NaiveDate, i64)>,
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2
    } else {
        values[middle]
    })
}

pub fn load(
    conn: &mut DbConnection,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
) -> Result<Dashboard, DbError> {
    use strum::IntoEnumIterator;
    // Bounded counts, one index range each: never a scan of every ticket.
    let mut open: BTreeMap<TicketCategory, [i64; 4]> = BTreeMap::new();
    for category in TicketCategory::iter() {
        let mut counts = [0_i64; 4];
        for (column, status) in UNSOLVED.iter().enumerate() {
            counts[column] = tickets::table
                .filter(tickets::category.eq(category))
                .filter(tickets::status.eq(*status))
                .select(tickets::id)
                .limit(COUNT_CAP as i64 + 1)
                .load::<TicketId>(conn)?
                .len() as i64;
        }
        if counts.iter().any(|n| *n > 0) {
            open.insert(category, counts);
        }
    }
    let mut breaching = 0;
    for status in UNSOLVED {
        let ids: Vec<TicketId> = tickets::table
            .filter(tickets::status.eq(status))
            .filter(tickets::sla_due_at.lt(now))
            .select(tickets::id)
            .limit((BREACH_CAP + 1 - breaching) as i64)
            .load(conn)?;
        breaching += ids.len();
        if breaching > BREACH_CAP {
            break;
        }
    }
    // Tickets opened per local day: a range count of the creation index each.
    let today = calendar.local(now).date_naive();
    let first_day = today - Duration::days(CHART_DAYS - 1);
    let mut per_day = Vec::with_capacity(CHART_DAYS as usize);
    for offset in 0..CHART_DAYS {
        let day = first_day + Duration::days(offset);
        let start = calendar.day_start(day);
        let end = calendar.day_start(day + Duration::days(1));
        let opened: i64 = tickets::table
            .filter(tickets::created_at.ge(start))
            .filter(tickets::created_at.lt(end))
            .count()
            .get_result(conn)?;
        per_day.push((day, opened));
    }
    Ok(Dashboard {
        open,
        breaching,
        awaiting_approval: super::queue::awaiting_approval(conn)?.len(),
        last_7_days: medians(conn, now - Duration::days(7))?,
        last_30_days: medians(conn, now - Duration::days(CHART_DAYS))?,
        per_day,
    })
}

/// When a ticket was opened, first answered and solved.
type Timings = (NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// Medians over the latest `SAMPLE` tickets opened since `since`.
fn medians(conn: &mut DbConnection, since: NaiveDateTime) -> Result<Medians, DbError> {
    let rows: Vec<Timings> = tickets::table
        .filter(tickets::created_at.ge(since))
        .order(tickets::created_at.desc())
        .limit(SAMPLE)
        .select((
            tickets::created_at,
            tickets::first_responded_at,
            tickets::solved_at,
        ))
        .load(conn)?;
    let minutes = |pick: fn(&Timings) -> Option<NaiveDateTime>| {
        rows.iter()
            .filter_map(|row| pick(row).map(|at| (at - row.0).num_minutes()))
            .collect()
    };
    Ok(Medians {
        first_response: median(minutes(|row| row.1)),
        resolution: median(minutes(|row| row.2)),
        tickets: rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
    }
}

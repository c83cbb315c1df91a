//! The dashboard's figures: open tickets by category and status, SLA
//! breaches, response and resolution medians, tickets opened per day.

use super::UNSOLVED;
use super::sla::BusinessCalendar;
use crate::db::schema::tickets;
use crate::db::{DbConnection, DbError};
use crate::domain::{TicketCategory, TicketId, TicketStatus};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use std::collections::BTreeMap;

/// Breaches are counted to here.
pub const BREACH_CAP: usize = 1000;
/// Days the chart covers.
pub const CHART_DAYS: i64 = 30;

#[derive(Debug, Clone, Default)]
pub struct Medians {
    /// Minutes from opening to the first public reply.
    pub first_response: Option<i64>,
    /// Minutes from opening to solved.
    pub resolution: Option<i64>,
    /// Tickets opened in the period.
    pub tickets: usize,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Open tickets per category, per unsolved status, in `UNSOLVED` order.
    pub open: BTreeMap<TicketCategory, [i64; 4]>,
    pub breaching: usize,
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

fn medians(
    rows: &[(NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>)],
    since: NaiveDateTime,
) -> Medians {
    let recent: Vec<_> = rows
        .iter()
        .filter(|(created, _, _)| *created >= since)
        .collect();
    Medians {
        first_response: median(
            recent
                .iter()
                .filter_map(|(created, responded, _)| {
                    responded.map(|at| (at - *created).num_minutes())
                })
                .collect(),
        ),
        resolution: median(
            recent
                .iter()
                .filter_map(|(created, _, solved)| solved.map(|at| (at - *created).num_minutes()))
                .collect(),
        ),
        tickets: recent.len(),
    }
}

pub fn load(
    conn: &mut DbConnection,
    calendar: &BusinessCalendar,
    now: NaiveDateTime,
) -> Result<Dashboard, DbError> {
    let grouped: Vec<(TicketCategory, TicketStatus, i64)> = tickets::table
        .filter(tickets::status.eq_any(UNSOLVED))
        .group_by((tickets::category, tickets::status))
        .select((tickets::category, tickets::status, count_star()))
        .load(conn)?;
    let mut open: BTreeMap<TicketCategory, [i64; 4]> = BTreeMap::new();
    for (category, status, count) in grouped {
        if let Some(column) = UNSOLVED.iter().position(|s| *s == status) {
            open.entry(category).or_default()[column] += count;
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
    let since = now - Duration::days(CHART_DAYS);
    let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>)> = tickets::table
        .filter(tickets::created_at.ge(since))
        .select((
            tickets::created_at,
            tickets::first_responded_at,
            tickets::solved_at,
        ))
        .load(conn)?;
    let today = calendar.local(now).date_naive();
    let first_day = today - Duration::days(CHART_DAYS - 1);
    let mut per_day: BTreeMap<NaiveDate, i64> = (0..CHART_DAYS)
        .map(|offset| (first_day + Duration::days(offset), 0))
        .collect();
    for (created, _, _) in &rows {
        if let Some(count) = per_day.get_mut(&calendar.local(*created).date_naive()) {
            *count += 1;
        }
    }
    Ok(Dashboard {
        open,
        breaching,
        last_7_days: medians(&rows, now - Duration::days(7)),
        last_30_days: medians(&rows, since),
        per_day: per_day.into_iter().collect(),
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

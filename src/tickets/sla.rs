//! SLA clocks in business time: targets per priority, counted only in the
//! working hours of a calendar (its time zone, working days, hours and
//! holidays).

use crate::db::schema::{business_calendar, holidays, sla_policies};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::{AgentId, TicketPriority};
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// How far ahead a target may land; a calendar with no working time in it
/// would otherwise never finish counting. A target that does not fit is
/// due at the horizon's end.
const HORIZON_DAYS: i64 = 3 * 366;
/// The largest SLA target, in business minutes: about 185 working days of
/// nine hours. Bounds what an admin can enter and what a stored value
/// can make the clocks count.
pub const MAX_TARGET_MINUTES: i64 = 100_000;
/// Holidays are dates from the year 2000 to 2999.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2999;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("'{0}' is not a time zone (use a name such as Asia/Shanghai)")]
    TimeZone(String),
    #[error("choose at least one working day")]
    NoWorkDays,
    #[error("'{0}' is not a weekday number (1 = Monday … 7 = Sunday)")]
    WorkDay(String),
    #[error("the working day must end after it starts")]
    Hours,
    #[error("'{0}' is not a time of day (HH:MM)")]
    Clock(String),
    #[error("'{0}' is not a date (YYYY-MM-DD)")]
    Holiday(String),
}

impl CalendarError {
    /// The problem in the reader's words.
    pub fn message(&self) -> crate::i18n::Message {
        use crate::i18n::Message;
        match self {
            CalendarError::TimeZone(text) => {
                Message::new("calendar-time-zone").with("value", text.clone())
            }
            CalendarError::NoWorkDays => Message::new("calendar-no-work-days"),
            CalendarError::WorkDay(text) => {
                Message::new("calendar-work-day").with("value", text.clone())
            }
            CalendarError::Hours => Message::new("calendar-hours"),
            CalendarError::Clock(text) => {
                Message::new("calendar-clock").with("value", text.clone())
            }
            CalendarError::Holiday(text) => {
                Message::new("calendar-date").with("value", text.clone())
            }
        }
    }
}

/// When the desk works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    pub time_zone: Tz,
    /// Working weekdays, ISO numbers (1 = Monday … 7 = Sunday).
    pub work_days: BTreeSet<u8>,
    /// Local start and end of the working day, minutes after midnight.
    pub start_minute: u32,
    pub end_minute: u32,
    /// Local dates on which nobody works, with their names.
    pub holidays: BTreeMap<NaiveDate, String>,
}

impl BusinessCalendar {
    /// Checks a calendar as an admin enters it.
    pub fn new(
        time_zone: &str,
        work_days: BTreeSet<u8>,
        start_minute: u32,
        end_minute: u32,
        holidays: BTreeMap<NaiveDate, String>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let time_zone = Tz::from_str(time_zone.trim())
            .map_err(|_| CalendarError::TimeZone(time_zone.trim().to_owned()))?;
        if work_days.is_empty() {
            return Err(CalendarError::NoWorkDays);
        }
        if start_minute >= end_minute || end_minute > 24 * 60 {
            return Err(CalendarError::Hours);
        }
        Ok(BusinessCalendar {
            time_zone,
            work_days,
            start_minute,
            end_minute,
            holidays,
        })
    }

    /// The instant `minutes` business minutes after `from` (UTC).
    pub fn add_business_minutes(
        &self,
        from: NaiveDateTime,
        minutes: i64,
    ) -> Result<NaiveDateTime, CalendarError> {
        let mut left = Duration::minutes(minutes.clamp(0, MAX_TARGET_MINUTES * 2));
        let mut day = self.local_date(from);
        let horizon = from + Duration::days(HORIZON_DAYS);
        for _ in 0..HORIZON_DAYS {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                if start < close {
                    let available = close - start;
                    if left <= available {
                        return Ok(start + left);
                    }
                    left -= available;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        Ok(horizon)
    }

    /// Business minutes between two instants (UTC); 0 when `to` is not later.
    pub fn business_minutes_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = Duration::zero();
        let mut day = self.local_date(from);
        let last = self.local_date(to);
        while day <= last {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                let end = close.min(to);
                if start < end {
                    total += end - start;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total.num_minutes()
    }

    /// The local date of a UTC instant.
    pub fn local_date(&self, at: NaiveDateTime) -> NaiveDate {
        self.time_zone.from_utc_datetime(&at).date_naive()
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.window(day).is_some()
    }

    /// The working day `days` working days after the local date of `from`
    /// (a date past the horizon when the calendar has too few of them).
    pub fn add_business_days(&self, from: NaiveDateTime, days: u32) -> NaiveDate {
        let mut day = self.local_date(from);
        let mut left = days;
        for _ in 0..HORIZON_DAYS {
            if left == 0 {
                break;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after the local date of `from` up to and including the
    /// local date of `to`, at most the horizon's worth.
    pub fn business_days_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        let (mut day, last) = (self.local_date(from), self.local_date(to));
        let mut count = 0;
        for _ in 0..HORIZON_DAYS {
            if day >= last {
                break;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// The working hours of a local date as UTC instants, if it is a working day.
    fn window(&self, day: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        if !self
            .work_days
            .contains(&(day.weekday().number_from_monday() as u8))
            || self.holidays.contains_key(&day)
        {
            return None;
        }
        let open = self.local_to_utc(day, self.start_minute);
        let close = self.local_to_utc(day, self.end_minute);
        Some((open, close))
    }

    /// A local wall-clock time as UTC. A time skipped by a daylight-saving
    /// change counts from the moment after the gap; a repeated one, from its
    /// first occurrence.
    fn local_to_utc(&self, day: NaiveDate, minute: u32) -> NaiveDateTime {
        let midnight = day.and_time(NaiveTime::MIN);
        let mut local = midnight + Duration::minutes(i64::from(minute));
        for _ in 0..4 {
            if let Some(at) = self.time_zone.from_local_datetime(&local).earliest() {
                return at.naive_utc();
            }
            local += Duration::minutes(30);
        }
        // No zone skips more than two hours; fall back to the zone's offset at noon.
        let noon = day.and_hms_opt(12, 0, 0).unwrap_or(midnight);
        let offset = self
            .time_zone
            .offset_from_utc_datetime(&noon)
            .fix()
            .local_minus_utc();
        local - Duration::seconds(i64::from(offset))
    }

    /// The UTC instant a local date begins.
    pub fn day_start(&self, day: NaiveDate) -> NaiveDateTime {
        self.local_to_utc(day, 0)
    }

    /// The local time of a UTC instant, for pages.
    pub fn local(&self, at: NaiveDateTime) -> DateTime<Tz> {
        self.time_zone.from_utc_datetime(&at)
    }
}

/// First-response and resolution targets of one priority, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTarget {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

/// The calendar and the targets of every priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaSettings {
    pub calendar: BusinessCalendar,
    pub targets: BTreeMap<TicketPriority, SlaTarget>,
}

/// A ticket's SLA due times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub first_response: NaiveDateTime,
    pub resolution: NaiveDateTime,
}

impl SlaSettings {
    /// Due times of a ticket opened at `opened` with `priority`, its
    /// resolution target moved on by the business minutes it spent pending.
    pub fn due_times(
        &self,
        priority: TicketPriority,
        opened: NaiveDateTime,
        paused_minutes: i64,
    ) -> Result<DueTimes, CalendarError> {
        let target = self.target(priority);
        Ok(DueTimes {
            first_response: self
                .calendar
                .add_business_minutes(opened, target.first_response_minutes)?,
            resolution: self.calendar.add_business_minutes(
                opened,
                target.resolution_minutes.saturating_add(paused_minutes),
            )?,
        })
    }

    pub fn target(&self, priority: TicketPriority) -> SlaTarget {
        self.targets.get(&priority).copied().unwrap_or(SlaTarget {
            first_response_minutes: 8 * 60,
            resolution_minutes: 5 * 8 * 60,
        })
    }
}

/// The calendar's time zone alone, in which the desk shows every time.
pub fn time_zone(conn: &mut DbConnection) -> Result<Tz, SlaLoadError> {
    let name: String = business_calendar::table
        .filter(business_calendar::id.eq(1))
        .select(business_calendar::time_zone)
        .first(conn)?;
    Tz::from_str(name.trim()).map_err(|_| CalendarError::TimeZone(name.trim().to_owned()).into())
}

/// The stored calendar, holidays and targets.
pub fn load(conn: &mut DbConnection) -> Result<SlaSettings, SlaLoadError> {
    let (time_zone, work_days, start, end): (String, String, i64, i64) = business_calendar::table
        .filter(business_calendar::id.eq(1))
        .select((
            business_calendar::time_zone,
            business_calendar::work_days,
            business_calendar::work_start_minute,
            business_calendar::work_end_minute,
        ))
        .first(conn)?;
    let holidays: Vec<(String, String)> = holidays::table
        .select((holidays::day, holidays::name))
        .order(holidays::day)
        .load(conn)?;
    let holidays = holidays
        .into_iter()
        .map(|(day, name)| parse_date(&day).map(|day| (day, name)))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let calendar = BusinessCalendar::new(
        &time_zone,
        parse_work_days(&work_days)?,
        u32::try_from(start).map_err(|_| CalendarError::Hours)?,
        u32::try_from(end).map_err(|_| CalendarError::Hours)?,
        holidays,
    )?;
    let rows: Vec<(TicketPriority, i64, i64)> = sla_policies::table
        .select((
            sla_policies::priority,
            sla_policies::first_response_minutes,
            sla_policies::resolution_minutes,
        ))
        .load(conn)?;
    let targets = rows
        .into_iter()
        .map(|(priority, first, resolution)| {
            (
                priority,
                SlaTarget {
                    first_response_minutes: first.clamp(1, MAX_TARGET_MINUTES),
                    resolution_minutes: resolution.clamp(1, MAX_TARGET_MINUTES),
                },
            )
        })
        .collect();
    Ok(SlaSettings { calendar, targets })
}

#[derive(Debug, thiserror::Error)]
pub enum SlaLoadError {
    #[error("the business calendar is invalid: {0}")]
    Calendar(#[from] CalendarError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::write_failure!(SlaLoadError);

impl From<diesel::result::Error> for SlaLoadError {
    fn from(error: diesel::result::Error) -> Self {
        SlaLoadError::Db(DbError::Query(error))
    }
}

/// "1,2,3,4,5" (ISO weekday numbers) as weekdays.
pub fn parse_work_days(text: &str) -> Result<BTreeSet<u8>, CalendarError> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<u8>()
                .ok()
                .filter(|n| (1..=7).contains(n))
                .ok_or_else(|| CalendarError::WorkDay(part.to_owned()))
        })
        .collect()
}

/// Weekdays as stored: ISO numbers, comma separated.
pub fn format_work_days(days: &BTreeSet<u8>) -> String {
    days.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

/// A date written YYYY-MM-DD, in the years 2000 to 2999.
pub fn parse_date(text: &str) -> Result<NaiveDate, CalendarError> {
    let text = text.trim();
    let wrong = || CalendarError::Holiday(text.chars().take(20).collect());
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(wrong());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|day| YEARS.contains(&day.year()))
        .ok_or_else(wrong)
}

/// The current instant as stored: UTC, microseconds.
pub fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Stores the calendar (time zone, working days and hours), audited.
pub fn save_calendar(
    conn: &mut DbConnection,
    calendar: &BusinessCalendar,
    by: AgentId,
) -> Result<(), SlaLoadError> {
    write_transaction(conn, |conn| {
        let before = load(conn)?.calendar;
        diesel::update(business_calendar::table.filter(business_calendar::id.eq(1)))
            .set((
                business_calendar::time_zone.eq(calendar.time_zone.name()),
                business_calendar::work_days.eq(format_work_days(&calendar.work_days)),
                business_calendar::work_start_minute.eq(i64::from(calendar.start_minute)),
                business_calendar::work_end_minute.eq(i64::from(calendar.end_minute)),
                business_calendar::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let describe = |c: &BusinessCalendar| {
            serde_json::json!({
                "time_zone": c.time_zone.name(),
                "work_days": format_work_days(&c.work_days),
                "hours": format!("{}-{}", clock(c.start_minute), clock(c.end_minute)),
            })
        };
        audit_sla(
            conn,
            by,
            "sla.calendar",
            describe(&before),
            describe(calendar),
        )
    })
}

/// Stores the targets of one priority, audited.
pub fn save_target(
    conn: &mut DbConnection,
    priority: TicketPriority,
    target: SlaTarget,
    by: AgentId,
) -> Result<(), SlaLoadError> {
    let range = 1..=MAX_TARGET_MINUTES;
    if !range.contains(&target.first_response_minutes)
        || !range.contains(&target.resolution_minutes)
    {
        return Err(SlaLoadError::Invalid(format!(
            "targets must be from 1 to {MAX_TARGET_MINUTES} minutes"
        )));
    }
    if target.first_response_minutes > target.resolution_minutes {
        return Err(SlaLoadError::Invalid(format!(
            "the first response of {priority} tickets cannot be due after their resolution"
        )));
    }
    write_transaction(conn, |conn| {
        let before = load(conn)?.target(priority);
        diesel::update(sla_policies::table.filter(sla_policies::priority.eq(priority)))
            .set((
                sla_policies::first_response_minutes.eq(target.first_response_minutes),
                sla_policies::resolution_minutes.eq(target.resolution_minutes),
                sla_policies::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let describe = |t: SlaTarget| {
            serde_json::json!({
                "priority": priority,
                "first_response_minutes": t.first_response_minutes,
                "resolution_minutes": t.resolution_minutes,
            })
        };
        audit_sla(conn, by, "sla.target", describe(before), describe(target))
    })
}

/// Adds a holiday (or renames one), audited.
pub fn add_holiday(
    conn: &mut DbConnection,
    day: NaiveDate,
    name: &str,
    by: AgentId,
) -> Result<(), SlaLoadError> {
    let name = crate::domain::text::single_line(name, 100)
        .map_err(|e| SlaLoadError::Invalid(format!("the holiday's name {e}")))?;
    let name = name.as_str();
    let key = day.format("%Y-%m-%d").to_string();
    write_transaction(conn, |conn| {
        diesel::delete(holidays::table.filter(holidays::day.eq(&key))).execute(conn)?;
        diesel::insert_into(holidays::table)
            .values((holidays::day.eq(&key), holidays::name.eq(name)))
            .execute(conn)?;
        audit_sla(
            conn,
            by,
            "sla.holiday_add",
            serde_json::Value::Null,
            serde_json::json!({ "day": key, "name": name }),
        )
    })
}

pub fn remove_holiday(
    conn: &mut DbConnection,
    day: NaiveDate,
    by: AgentId,
) -> Result<(), SlaLoadError> {
    let key = day.format("%Y-%m-%d").to_string();
    write_transaction(conn, |conn| {
        let removed =
            diesel::delete(holidays::table.filter(holidays::day.eq(&key))).execute(conn)?;
        if removed == 0 {
            return Err(SlaLoadError::Invalid(format!("{key} is not a holiday")));
        }
        audit_sla(
            conn,
            by,
            "sla.holiday_remove",
            serde_json::json!({ "day": key }),
            serde_json::Value::Null,
        )
    })
}

fn audit_sla(
    conn: &mut DbConnection,
    by: AgentId,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), SlaLoadError> {
    crate::audit::record(
        conn,
        crate::audit::AuditEntry {
            actor: crate::domain::AuditActor::Agent,
            agent: Some(by),
            action: action.to_owned(),
            entity_type: "sla".to_owned(),
            entity_id: "calendar".to_owned(),
            ticket: None,
            before: (!before.is_null()).then_some(before),
            after: (!after.is_null()).then_some(after),
        },
    )?;
    Ok(())
}

/// "09:00" of minutes after midnight.
pub fn clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Minutes after midnight of "09:00" (24:00 is the end of the day).
pub fn parse_clock(text: &str) -> Result<u32, CalendarError> {
    let text = text.trim();
    let wrong = || CalendarError::Clock(text.chars().take(20).collect());
    let (hours, minutes) = text.split_once(':').ok_or_else(wrong)?;
    let digits = |part: &str, most: usize| {
        (1..=most).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hours, 2) || minutes.len() != 2 || !digits(minutes, 2) {
        return Err(wrong());
    }
    let hours: u32 = hours.parse().map_err(|_| wrong())?;
    let minutes: u32 = minutes.parse().map_err(|_| wrong())?;
    if minutes >= 60 || hours * 60 + minutes > 24 * 60 {
        return Err(wrong());
    }
    Ok(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays() -> BTreeSet<u8> {
        (1..=5).collect()
    }

    fn shanghai(holidays: &[&str]) -> BusinessCalendar {
        let holidays = holidays
            .iter()
            .map(|day| (parse_date(day).expect("a date"), "holiday".to_owned()))
            .collect();
        BusinessCalendar::new("Asia/Shanghai", weekdays(), 9 * 60, 18 * 60, holidays)
            .expect("a valid calendar")
    }

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a time")
    }

    #[test]
    fn counts_within_one_working_day() {
        // Monday 2026-11-23 10:00 Shanghai is 02:00 UTC.
        let calendar = shanghai(&[]);
        assert_eq!(
            calendar.add_business_minutes(utc("2026-11-23 02:00"), 60),
            Ok(utc("2026-11-23 03:00"))
        );
    }

    #[test]
    fn a_ticket_opened_after_hours_starts_counting_next_morning() {
        // Monday 20:00 Shanghai (12:00 UTC): the clock starts Tuesday 09:00.
        let calendar = shanghai(&[]);
        assert_eq!(
            calendar.add_business_minutes(utc("2026-11-23 12:00"), 30),
            Ok(utc("2026-11-24 01:30"))
        );
        // Before opening, the same.
        assert_eq!(
            calendar.add_business_minutes(utc("2026-11-23 23:00"), 30),
            Ok(utc("2026-11-24 01:30"))
        );
    }

    #[test]
    fn weekends_do_not_count() {
        // Friday 17:00 Shanghai (09:00 UTC) plus two hours: one hour on
        // Friday, the other on Monday 09:00–10:00.
        let calendar = shanghai(&[]);
        assert_eq!(
            calendar.add_business_minutes(utc("2026-11-27 09:00"), 120),
            Ok(utc("2026-11-30 02:00"))
        );
        assert_eq!(
            calendar.business_minutes_between(utc("2026-11-27 09:00"), utc("2026-11-30 02:00")),
            120
        );
    }

    #[test]
    fn holidays_do_not_count() {
        // Monday 2026-11-30 is a holiday: Friday 17:00 + 2 h lands Tuesday 10:00.
        let calendar = shanghai(&["2026-11-30"]);
        assert_eq!(
            calendar.add_business_minutes(utc("2026-11-27 09:00"), 120),
            Ok(utc("2026-12-01 02:00"))
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Friday 2026-11-27 (Shanghai), Monday 2026-11-30 a holiday.
        let calendar = shanghai(&["2026-11-30"]);
        let friday = utc("2026-11-27 02:00");
        assert_eq!(
            calendar.add_business_days(friday, 3),
            NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date")
        );
        assert_eq!(
            calendar.business_days_between(friday, utc("2026-12-03 02:00")),
            3
        );
        assert_eq!(calendar.business_days_between(friday, friday), 0);
    }

    #[test]
    fn clocks_and_dates_are_bounded() {
        assert_eq!(parse_clock("9:05"), Ok(9 * 60 + 5));
        assert_eq!(parse_clock("24:00"), Ok(24 * 60));
        for bad in [
            "71582789:00",
            "24:01",
            "9:5",
            "09:005",
            "+9:00",
            "9:60",
            ":00",
            "١٢:00",
        ] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        assert!(parse_date("2026-12-03").is_ok());
        for bad in [
            "+262142-12-31",
            "262142-12-31",
            "1999-12-31",
            "2026-1-3",
            "2026-02-30",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_target_beyond_the_calendar_is_due_at_the_horizon() {
        // One working minute a week cannot hold the largest target.
        let calendar = BusinessCalendar::new(
            "UTC",
            [1].into_iter().collect(),
            9 * 60,
            9 * 60 + 1,
            BTreeMap::new(),
        )
        .expect("a valid calendar");
        let from = utc("2026-11-23 00:00");
        assert_eq!(
            calendar.add_business_minutes(from, i64::MAX),
            Ok(from + Duration::days(HORIZON_DAYS))
        );
    }

    #[test]
    fn local_dates_decide_across_the_utc_midnight() {
        // 2026-11-23 23:30 UTC is Tuesday 07:30 in Shanghai: before opening
        // on Tuesday, not late on Monday.
        let calendar = shanghai(&[]);
        assert_eq!(
            calendar.add_business_minutes(utc("2026-11-23 23:30"), 15),
            Ok(utc("2026-11-24 01:15"))
        );
    }

    #[test]
    fn daylight_saving_changes_shift_the_utc_hours() {
        // Berlin moves from UTC+1 to UTC+2 on Sunday 2026-03-29. Friday
        // 09:00 opens at 08:00 UTC; Monday 09:00 opens at 07:00 UTC.
        let calendar = BusinessCalendar::new(
            "Europe/Berlin",
            weekdays(),
            9 * 60,
            17 * 60,
            BTreeMap::new(),
        )
        .expect("a valid calendar");
        assert_eq!(
            calendar.add_business_minutes(utc("2026-03-27 15:30"), 60),
            Ok(utc("2026-03-30 07:30"))
        );
    }

    #[test]
    fn a_calendar_is_checked() {
        assert_eq!(
            BusinessCalendar::new("Mars/Olympus", weekdays(), 540, 1080, BTreeMap::new()),
            Err(CalendarError::TimeZone("Mars/Olympus".into()))
        );
        assert_eq!(
            BusinessCalendar::new("UTC", BTreeSet::new(), 540, 1080, BTreeMap::new()),
            Err(CalendarError::NoWorkDays)
        );
        assert_eq!(
            BusinessCalendar::new("UTC", weekdays(), 1080, 540, BTreeMap::new()),
            Err(CalendarError::Hours)
        );
        assert_eq!(parse_work_days("1, 2,7").map(|d| d.len()), Ok(3));
        assert_eq!(
            parse_work_days("1,8"),
            Err(CalendarError::WorkDay("8".into()))
        );
        assert_eq!(format_work_days(&weekdays()), "1,2,3,4,5");
    }

    #[test]
    fn pending_time_moves_the_resolution_target() {
        let settings = SlaSettings {
            calendar: shanghai(&[]),
            targets: [(
                TicketPriority::High,
                SlaTarget {
                    first_response_minutes: 60,
                    resolution_minutes: 240,
                },
            )]
            .into_iter()
            .collect(),
        };
        let opened = utc("2026-11-23 02:00"); // Monday 10:00 Shanghai
        let due = settings
            .due_times(TicketPriority::High, opened, 0)
            .expect("due times");
        assert_eq!(due.first_response, utc("2026-11-23 03:00"));
        assert_eq!(due.resolution, utc("2026-11-23 06:00"));
        let paused = settings
            .due_times(TicketPriority::High, opened, 300)
            .expect("due times");
        // 4 h + 5 h paused from Monday 10:00: eight hours to 18:00, the
        // ninth on Tuesday from 09:00.
        assert_eq!(paused.resolution, utc("2026-11-24 02:00"));
    }
}

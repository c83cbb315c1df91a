//! Times as desk pages show them: stored in UTC, shown in one time zone
//! (the business calendar's), which each page names once.

use crate::i18n::{self, Lang};
use chrono::{NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// `2026-12-03 14:05` in `zone`.
pub fn local_time(zone: Tz, at: NaiveDateTime) -> String {
    Utc.from_utc_datetime(&at)
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `2026-12-03` in `zone`.
pub fn local_date(zone: Tz, at: NaiveDateTime) -> String {
    Utc.from_utc_datetime(&at)
        .with_timezone(&zone)
        .format("%Y-%m-%d")
        .to_string()
}

/// "Times are in Asia/Shanghai (UTC+08:00)", in `lang`.
pub fn zone_name(zone: Tz, lang: Lang) -> String {
    let offset = Utc::now().with_timezone(&zone).offset().fix();
    let seconds = offset.local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let utc = format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60);
    i18n::text_with(
        lang,
        "times-in-zone",
        &[("zone", zone.name().to_owned()), ("offset", utc)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_zone_and_the_zone_is_named() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .and_then(|d| d.and_hms_opt(17, 30, 0))
            .expect("a valid time");
        let zone: Tz = "Asia/Shanghai".parse().expect("a zone");
        assert_eq!(local_time(zone, at), "2026-12-04 01:30");
        assert_eq!(local_date(zone, at), "2026-12-04");
        assert_eq!(
            zone_name(zone, Lang::En),
            "Times are in Asia/Shanghai (UTC+08:00)"
        );
        assert_eq!(
            zone_name(zone, Lang::Zh),
            "时间均为 Asia/Shanghai 时区（UTC+08:00）"
        );
    }
}

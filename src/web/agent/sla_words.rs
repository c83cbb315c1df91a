//! A ticket's SLA in words: time left or overdue in the queue; on the
//! ticket page, each target met or breached, and by how much.

use crate::db::models::Ticket;
use crate::domain::TicketStatus;
use crate::i18n::{self, Lang};
use crate::web::clock::local_time;
use chrono::NaiveDateTime;
use chrono_tz::Tz;

/// One SLA statement and whether it is a breach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaWords {
    pub text: String,
    pub breached: bool,
}

impl SlaWords {
    fn new(text: String, breached: bool) -> SlaWords {
        SlaWords { text, breached }
    }
}

/// The queue's SLA cell: the running target's time left or overdue,
/// paused while the customer is asked, or a dash.
pub fn sla_cell(ticket: &Ticket, now: NaiveDateTime, lang: Lang) -> SlaWords {
    match ticket.sla_due_at {
        Some(due) if due <= now => SlaWords::new(
            i18n::text_with(
                lang,
                "sla-overdue",
                &[("span", i18n::duration(lang, (now - due).num_minutes()))],
            ),
            true,
        ),
        Some(due) => SlaWords::new(
            i18n::text_with(
                lang,
                "sla-left",
                &[("span", i18n::duration(lang, (due - now).num_minutes()))],
            ),
            false,
        ),
        None if ticket.status == TicketStatus::Pending => {
            SlaWords::new(i18n::text(lang, "sla-paused"), false)
        }
        None => SlaWords::new("—".to_owned(), false),
    }
}

/// A target: reached at `done` (if yet), due at `due`. Met, met late, or
/// running (with time left or overdue), each in words.
fn target(
    keys: [&str; 4],
    due: Option<NaiveDateTime>,
    done: Option<NaiveDateTime>,
    now: NaiveDateTime,
    lang: Lang,
    zone: Tz,
) -> SlaWords {
    let [met, late, running, overdue] = keys;
    let Some(due) = due else {
        return SlaWords::new(i18n::text(lang, &format!("{running}-none")), false);
    };
    let values = |at: NaiveDateTime, minutes: i64| {
        [
            ("at", local_time(zone, at)),
            ("due", local_time(zone, due)),
            ("span", i18n::duration(lang, minutes)),
        ]
    };
    match done {
        Some(at) if at <= due => SlaWords::new(
            i18n::text_with(lang, met, &values(at, (due - at).num_minutes())),
            false,
        ),
        Some(at) => SlaWords::new(
            i18n::text_with(lang, late, &values(at, (at - due).num_minutes())),
            true,
        ),
        None if now > due => SlaWords::new(
            i18n::text_with(lang, overdue, &values(now, (now - due).num_minutes())),
            true,
        ),
        None => SlaWords::new(
            i18n::text_with(lang, running, &values(now, (due - now).num_minutes())),
            false,
        ),
    }
}

/// The first-response target in words.
pub fn first_response(ticket: &Ticket, now: NaiveDateTime, lang: Lang, zone: Tz) -> SlaWords {
    target(
        [
            "sla-first-met",
            "sla-first-late",
            "sla-first-due",
            "sla-first-overdue",
        ],
        ticket.first_response_due_at,
        ticket.first_responded_at,
        now,
        lang,
        zone,
    )
}

/// The resolution target in words.
pub fn resolution(ticket: &Ticket, now: NaiveDateTime, lang: Lang, zone: Tz) -> SlaWords {
    target(
        [
            "sla-resolution-met",
            "sla-resolution-late",
            "sla-resolution-due",
            "sla-resolution-overdue",
        ],
        ticket.resolution_due_at,
        ticket.solved_at.or(ticket.closed_at),
        now,
        lang,
        zone,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(hour: u32, minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .expect("a valid time")
    }

    fn words(
        due: NaiveDateTime,
        done: Option<NaiveDateTime>,
        now: NaiveDateTime,
        lang: Lang,
    ) -> SlaWords {
        let zone: Tz = "Asia/Shanghai".parse().expect("a zone");
        target(
            [
                "sla-first-met",
                "sla-first-late",
                "sla-first-due",
                "sla-first-overdue",
            ],
            Some(due),
            done,
            now,
            lang,
            zone,
        )
    }

    #[test]
    fn a_target_is_met_met_late_or_breached_by_how_much() {
        let due = at(4, 0);
        let met = words(due, Some(at(2, 30)), at(9, 0), Lang::En);
        assert_eq!(
            met.text,
            "First response met at 2026-12-01 10:30, 1h 30m before the target"
        );
        assert!(!met.breached);
        let late = words(
            due,
            Some(due + Duration::days(52) + Duration::minutes(185)),
            at(9, 0),
            Lang::En,
        );
        assert_eq!(
            late.text,
            "First response 52d 3h late (sent 2027-01-22 15:05, due 2026-12-01 12:00)"
        );
        assert!(late.breached);
        let overdue = words(due, None, at(6, 5), Lang::En);
        assert_eq!(
            overdue.text,
            "First response overdue by 2h 05m (due 2026-12-01 12:00)"
        );
        assert!(overdue.breached);
        let running = words(due, None, at(3, 15), Lang::En);
        assert_eq!(
            running.text,
            "First response due 2026-12-01 12:00 (45m left)"
        );
        assert!(!running.breached);
        assert_eq!(
            words(due, None, at(6, 5), Lang::Zh).text,
            "首次回复已超时 2小时05分（应于 2026-12-01 12:00 前）"
        );
    }
}

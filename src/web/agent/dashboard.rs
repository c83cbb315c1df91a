//! `/agent`: the desk at a glance.

use super::auth::Viewer;
use super::{Chrome, render};
use crate::domain::TicketCategory;
use crate::i18n::{self, Lang};
use crate::tickets::dashboard::{self, BREACH_CAP, Medians};
use crate::tickets::{UNSOLVED, sla};
use crate::web::AppState;
use crate::web::errors::DeskError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

/// The chart's drawing area, in SVG units.
const CHART_WIDTH: i64 = 640;
/// Height of the bars' area; the day labels sit below it.
const CHART_BARS: i64 = 140;
/// Room above the bars for the top count label.
const CHART_TOP: i64 = 12;
/// Room on the left for the count labels.
const CHART_LEFT: i64 = 40;

struct Bar {
    x: i64,
    y: i64,
    width: i64,
    height: i64,
    day: String,
    count: i64,
}

struct Tick {
    y: i64,
    value: i64,
}

struct DayLabel {
    x: i64,
    anchor: &'static str,
    text: String,
}

/// The tickets-opened-per-day chart, laid out: bars, a count axis with
/// round steps and gridlines, and the first, middle and last day.
struct Chart {
    width: i64,
    height: i64,
    left: i64,
    top: i64,
    base: i64,
    peak: i64,
    total: i64,
    bars: Vec<Bar>,
    ticks: Vec<Tick>,
    day_labels: Vec<DayLabel>,
}

/// The smallest of 1, 2, 5, 10, 20, 50… at least `n`.
fn round_step(n: i64) -> i64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= n {
                return step * factor;
            }
        }
        step *= 10;
    }
}

fn chart(per_day: &[(chrono::NaiveDate, i64)]) -> Chart {
    let peak = per_day.iter().map(|(_, n)| *n).max().unwrap_or(0);
    // Two round steps reach at least the busiest day.
    let step = round_step(((peak + 1) / 2).max(1));
    let top_value = step * 2;
    let slot = (CHART_WIDTH - CHART_LEFT) / per_day.len().max(1) as i64;
    let base = CHART_TOP + CHART_BARS;
    let bars: Vec<Bar> = per_day
        .iter()
        .enumerate()
        .map(|(index, (day, count))| {
            let height = count * CHART_BARS / top_value;
            Bar {
                x: CHART_LEFT + index as i64 * slot + 1,
                y: base - height,
                width: (slot - 2).max(1),
                height,
                day: day.format("%Y-%m-%d").to_string(),
                count: *count,
            }
        })
        .collect();
    let ticks = [0, step, top_value]
        .into_iter()
        .map(|value| Tick {
            y: base - value * CHART_BARS / top_value,
            value,
        })
        .collect();
    let last = per_day.len().saturating_sub(1);
    let day_labels = [(0, "start"), (last / 2, "middle"), (last, "end")]
        .into_iter()
        .collect::<std::collections::BTreeMap<usize, &'static str>>()
        .into_iter()
        .filter_map(|(index, anchor)| {
            let (day, _) = per_day.get(index)?;
            let x = CHART_LEFT + index as i64 * slot;
            Some(DayLabel {
                x: match anchor {
                    "start" => x,
                    "end" => x + slot,
                    _ => x + slot / 2,
                },
                anchor,
                text: day.format("%m-%d").to_string(),
            })
        })
        .collect();
    Chart {
        width: CHART_WIDTH,
        height: base + 24,
        left: CHART_LEFT,
        top: CHART_TOP,
        base,
        peak,
        total: per_day.iter().map(|(_, n)| *n).sum(),
        bars,
        ticks,
        day_labels,
    }
}

struct CategoryRow {
    category: TicketCategory,
    counts: Vec<String>,
    total: String,
}

fn shown(count: i64, capped: bool) -> String {
    if capped {
        format!("{count}+")
    } else {
        count.to_string()
    }
}

struct MedianCell {
    /// The catalog key naming the period.
    period: &'static str,
    first_response: String,
    resolution: String,
    tickets: usize,
}

#[derive(Template)]
#[template(path = "agent/dashboard.html")]
struct DashboardPage {
    title: String,
    chrome: Chrome,
    statuses: [crate::domain::TicketStatus; 4],
    rows: Vec<CategoryRow>,
    totals: Vec<String>,
    grand_total: String,
    breaching: String,
    awaiting_approval: usize,
    medians: Vec<MedianCell>,
    chart: Chart,
}

fn median_cell(period: &'static str, medians: &Medians, lang: Lang) -> MedianCell {
    let shown =
        |minutes: Option<i64>| minutes.map_or_else(|| "—".to_owned(), |m| i18n::duration(lang, m));
    MedianCell {
        period,
        first_response: shown(medians.first_response),
        resolution: shown(medians.resolution),
        tickets: medians.tickets,
    }
}

pub async fn dashboard(
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let now = sla::now();
    let data = state
        .db
        .run(move |conn| {
            let calendar = sla::load(conn).map_err(DeskError::internal)?.calendar;
            Ok::<_, DeskError>(dashboard::load(conn, &calendar, now)?)
        })
        .await?;
    let cap = dashboard::COUNT_CAP as i64;
    let mut totals = [(0_i64, false); 4];
    let rows = data
        .open
        .iter()
        .map(|(category, counts)| {
            for (total, count) in totals.iter_mut().zip(counts) {
                total.0 += (*count).min(cap);
                total.1 |= *count > cap;
            }
            CategoryRow {
                category: *category,
                counts: counts
                    .iter()
                    .map(|n| shown((*n).min(cap), *n > cap))
                    .collect(),
                total: shown(
                    counts.iter().map(|n| (*n).min(cap)).sum(),
                    counts.iter().any(|n| *n > cap),
                ),
            }
        })
        .collect();
    let grand_total = shown(
        totals.iter().map(|(n, _)| *n).sum(),
        totals.iter().any(|(_, capped)| *capped),
    );
    let totals: Vec<String> = totals
        .iter()
        .map(|(n, capped)| shown(*n, *capped))
        .collect();
    let lang = viewer.lang;
    render(
        DashboardPage {
            title: i18n::text(lang, "nav-dashboard"),
            chrome: Chrome::new(&viewer, "dashboard"),
            statuses: UNSOLVED,
            rows,
            totals,
            grand_total,
            awaiting_approval: data.awaiting_approval,
            breaching: if data.breaching > BREACH_CAP {
                format!("{BREACH_CAP}+")
            } else {
                data.breaching.to_string()
            },
            medians: vec![
                median_cell("dashboard-last-7-days", &data.last_7_days, lang),
                median_cell("dashboard-last-30-days", &data.last_30_days, lang),
            ],
            chart: chart(&data.per_day),
        },
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_axis_steps_are_round() {
        assert_eq!(
            [1, 2, 3, 6, 11, 53, 99].map(round_step),
            [1, 2, 5, 10, 20, 100, 100]
        );
        let days: Vec<(chrono::NaiveDate, i64)> = (1..=30)
            .filter_map(|d| chrono::NaiveDate::from_ymd_opt(2026, 11, d))
            .zip([106].into_iter().chain(std::iter::repeat(3)))
            .collect();
        let laid_out = chart(&days);
        let values: Vec<i64> = laid_out.ticks.iter().map(|t| t.value).collect();
        assert_eq!(values, [0, 100, 200]);
        assert!(
            laid_out
                .bars
                .iter()
                .all(|b| b.y >= CHART_TOP && b.height <= CHART_BARS)
        );
        assert_eq!(laid_out.day_labels.len(), 3);
    }
}

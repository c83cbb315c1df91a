//! `/agent`: the desk at a glance.

use super::auth::Viewer;
use super::{Chrome, render};
use crate::domain::TicketCategory;
use crate::tickets::dashboard::{self, BREACH_CAP, Medians};
use crate::tickets::{UNSOLVED, sla};
use crate::web::AppState;
use crate::web::errors::DeskError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

/// The chart's drawing area, in SVG units.
const CHART_WIDTH: i64 = 600;
const CHART_HEIGHT: i64 = 120;

struct Bar {
    x: i64,
    y: i64,
    width: i64,
    height: i64,
    label: String,
}

struct CategoryRow {
    category: TicketCategory,
    counts: Vec<String>,
    total: String,
}

/// A bounded count as shown: "1000+" once it reaches the bound.
fn shown(count: i64, capped: bool) -> String {
    if capped {
        format!("{count}+")
    } else {
        count.to_string()
    }
}

struct MedianCell {
    period: &'static str,
    first_response: String,
    resolution: String,
    tickets: usize,
}

#[derive(Template)]
#[template(path = "agent/dashboard.html")]
struct DashboardPage {
    title: &'static str,
    chrome: Chrome,
    statuses: [crate::domain::TicketStatus; 4],
    rows: Vec<CategoryRow>,
    totals: Vec<String>,
    breaching: String,
    awaiting_approval: usize,
    medians: Vec<MedianCell>,
    bars: Vec<Bar>,
    chart_width: i64,
    chart_height: i64,
    peak: i64,
    first_day: String,
    last_day: String,
}

fn duration(minutes: Option<i64>) -> String {
    match minutes {
        None => "—".to_owned(),
        Some(m) if m < 60 => format!("{m}m"),
        Some(m) if m < 48 * 60 => format!("{}h {:02}m", m / 60, m % 60),
        Some(m) => format!("{}d {}h", m / (24 * 60), m / 60 % 24),
    }
}

fn median_cell(period: &'static str, medians: &Medians) -> MedianCell {
    MedianCell {
        period,
        first_response: duration(medians.first_response),
        resolution: duration(medians.resolution),
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
    let totals: Vec<String> = totals
        .iter()
        .map(|(n, capped)| shown(*n, *capped))
        .collect();
    let peak = data
        .per_day
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = CHART_WIDTH / data.per_day.len().max(1) as i64;
    let bars = data
        .per_day
        .iter()
        .enumerate()
        .map(|(index, (day, count))| {
            let height = count * CHART_HEIGHT / peak;
            Bar {
                x: index as i64 * slot + 1,
                y: CHART_HEIGHT - height,
                width: (slot - 2).max(1),
                height,
                label: format!("{}: {count}", day.format("%Y-%m-%d")),
            }
        })
        .collect();
    render(
        DashboardPage {
            title: "Dashboard",
            chrome: Chrome::new(&viewer, "dashboard"),
            statuses: UNSOLVED,
            rows,
            totals,
            awaiting_approval: data.awaiting_approval,
            breaching: if data.breaching > BREACH_CAP {
                format!("{BREACH_CAP}+")
            } else {
                data.breaching.to_string()
            },
            medians: vec![
                median_cell("Last 7 days", &data.last_7_days),
                median_cell("Last 30 days", &data.last_30_days),
            ],
            bars,
            chart_width: CHART_WIDTH,
            chart_height: CHART_HEIGHT,
            peak,
            first_day: data
                .per_day
                .first()
                .map(|(d, _)| d.format("%b %d").to_string())
                .unwrap_or_default(),
            last_day: data
                .per_day
                .last()
                .map(|(d, _)| d.format("%b %d").to_string())
                .unwrap_or_default(),
        },
        StatusCode::OK,
    )
}

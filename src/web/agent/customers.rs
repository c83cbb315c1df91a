//! Customers and transactions as agents look them up, and opening a ticket
//! from either.

use super::auth::{CsrfForm, RefusedForm, Viewer, take_refused};
use super::tickets::{actor, sla_settings};
use super::{
    Chrome, bad_value, path_segment, render, see_other, see_other_noting, see_other_refused,
};
use crate::db::models::{Customer, Ticket};
use crate::domain::*;
use crate::i18n::{self, Lang};
use crate::tickets::service::{self, NewTicket, TicketError};
use crate::tickets::view::{self, CustomerMatches, CustomerPanel, ListOf, TransactionPanel};
use crate::web::AppState;
use crate::web::errors::DeskError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::str::FromStr;
use strum::IntoEnumIterator;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/customers", web::get().to(customer_search))
        .route("/customers/{id}", web::get().to(customer_page))
        .route("/customers/{id}/tickets", web::post().to(open_for_customer))
        .route("/customers/{id}/{list}", web::get().to(customer_list_page))
        .route("/transactions", web::get().to(transaction_search))
        .route("/transactions/{reference}", web::get().to(transaction_page))
        .route(
            "/transactions/{reference}/tickets",
            web::post().to(open_for_transaction),
        );
}

/// The 404 of a customer id that names nobody.
fn unknown_customer(viewer: &Viewer, id: CustomerId) -> DeskError {
    DeskError::NotFound(i18n::text_with(
        viewer.lang,
        "error-unknown-customer",
        &[("customer", id.to_string())],
    ))
}

/// The 404 of a transaction reference that names none.
fn unknown_transaction(viewer: &Viewer, reference: &str) -> DeskError {
    DeskError::NotFound(i18n::text_with(
        viewer.lang,
        "error-unknown-transaction",
        &[("reference", reference.to_owned())],
    ))
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    /// Where the page continues (a link's cursor).
    #[serde(default)]
    after: String,
}

/// All of a customer's tickets or transactions, newest first, a page at a
/// time.
#[derive(Template)]
#[template(path = "agent/customer_list.html")]
struct CustomerListPage {
    title: String,
    chrome: Chrome,
    customer: Customer,
    tickets: Vec<Ticket>,
    transactions: Vec<crate::db::models::Transaction>,
    next_link: Option<String>,
}

async fn customer_list(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: CustomerId,
    params: ListParams,
    of: ListOf,
) -> Result<HttpResponse, DeskError> {
    let after = match params.after.trim() {
        "" => None,
        text => Some(
            view::ListCursor::decode(text)
                .ok_or_else(|| DeskError::BadRequest(i18n::text(viewer.lang, "error-page-link")))?,
        ),
    };
    let list = state
        .db
        .run(move |conn| view::customer_list(conn, id, of, after))
        .await?
        .ok_or_else(|| unknown_customer(&viewer, id))?;
    let path: &'static str = of.into();
    let title_key = match of {
        ListOf::Tickets => "list-tickets-of",
        ListOf::Transactions => "list-transactions-of",
    };
    render(
        CustomerListPage {
            title: i18n::text_with(
                viewer.lang,
                title_key,
                &[("name", list.customer.name.clone())],
            ),
            chrome: Chrome::new(&viewer, "customers"),
            next_link: list
                .next
                .map(|cursor| format!("/agent/customers/{id}/{path}?after={}", cursor.encode())),
            customer: list.customer,
            tickets: list.tickets,
            transactions: list.transactions,
        },
        StatusCode::OK,
    )
}

/// `/agent/customers/{id}/tickets` and `…/transactions`.
async fn customer_list_page(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, DeskError> {
    let (id, list) = path.into_inner();
    let of = ListOf::from_str(&list)
        .map_err(|_| DeskError::NotFound(i18n::text(viewer.lang, "error-not-found")))?;
    customer_list(viewer, state, CustomerId(id), params.into_inner(), of).await
}

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

/// The open-ticket form as a page shows it.
pub struct OpenTicketView {
    action: String,
    draft: OpenTicketDraft,
    categories: Vec<TicketCategory>,
    priorities: Vec<TicketPriority>,
    /// Transactions the new ticket may be linked to.
    transactions: Vec<String>,
    error: Option<String>,
}

impl OpenTicketView {
    fn new(
        action: String,
        transactions: Vec<String>,
        draft: OpenTicketDraft,
        error: Option<String>,
    ) -> OpenTicketView {
        OpenTicketView {
            action,
            draft,
            categories: TicketCategory::iter().collect(),
            priorities: TicketPriority::iter().collect(),
            transactions,
            error,
        }
    }
}

/// What the open-ticket form shows and keeps after a refusal.
#[derive(Default, Clone)]
pub struct OpenTicketDraft {
    pub category: String,
    pub priority: String,
    pub subject: String,
    pub description: String,
    pub transaction: String,
}

impl OpenTicketDraft {
    /// The draft a refused form kept.
    fn from_refused(refused: &RefusedForm) -> OpenTicketDraft {
        OpenTicketDraft {
            category: refused.value("category"),
            priority: refused.value("priority"),
            subject: refused.value("subject"),
            description: refused.value("description"),
            transaction: refused.value("transaction"),
        }
    }
}

#[derive(Template)]
#[template(path = "agent/customers.html")]
struct CustomerSearchPage {
    title: String,
    chrome: Chrome,
    search: String,
    results: CustomerMatches,
}

/// Customers by the start of their name or e-mail, or their platform
/// reference (bounded).
async fn customer_search(
    viewer: Viewer,
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, DeskError> {
    let search = crate::domain::text::search(&params.q);
    let text = search.clone();
    let results = if text.is_empty() {
        CustomerMatches::default()
    } else {
        state
            .db
            .run(move |conn| view::find_customers(conn, &text))
            .await?
    };
    render(
        CustomerSearchPage {
            title: i18n::text(viewer.lang, "nav-customers"),
            chrome: Chrome::new(&viewer, "customers"),
            search,
            results,
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "agent/customer.html")]
struct CustomerPage {
    title: String,
    chrome: Chrome,
    panel: CustomerPanel,
    /// The ticket marked in the list: none (0) on the customer's page.
    current_ticket: i64,
    form: OpenTicketView,
}

async fn customer_view(
    viewer: &Viewer,
    state: &AppState,
    id: CustomerId,
    draft: OpenTicketDraft,
    error: Option<String>,
) -> Result<HttpResponse, DeskError> {
    let panel = state
        .db
        .run(move |conn| view::customer_panel(conn, id))
        .await?
        .ok_or_else(|| unknown_customer(viewer, id))?;
    let transactions = panel
        .recent_transactions
        .iter()
        .map(|tx| tx.reference.clone())
        .collect();
    render(
        CustomerPage {
            title: panel.customer.name.clone(),
            current_ticket: 0,
            chrome: Chrome::new(viewer, "customers"),
            form: OpenTicketView::new(
                format!("/agent/customers/{id}/tickets"),
                transactions,
                draft,
                error,
            ),
            panel,
        },
        StatusCode::OK,
    )
}

async fn customer_page(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let id = id.into_inner();
    let refused = take_refused(&session, &format!("/agent/customers/{id}"));
    customer_view(
        &viewer,
        &state,
        CustomerId(id),
        refused
            .as_ref()
            .map(OpenTicketDraft::from_refused)
            .unwrap_or_default(),
        refused.map(|r| r.error),
    )
    .await
}

#[derive(Deserialize)]
pub struct OpenTicketForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    transaction: String,
}

impl OpenTicketForm {
    /// The form refused with `error`, its input kept.
    fn refused(&self, error: String) -> RefusedForm {
        RefusedForm::new(
            error,
            &[
                ("category", &self.category),
                ("priority", &self.priority),
                ("subject", &self.subject),
                ("description", &self.description),
                ("transaction", &self.transaction),
            ],
        )
    }

    fn request(&self, customer: CustomerId, lang: Lang) -> Result<NewTicket, DeskError> {
        let category = TicketCategory::from_str(self.category.trim())
            .map_err(|_| bad_value(lang, "field-category", &self.category))?;
        let priority = TicketPriority::from_str(self.priority.trim())
            .map_err(|_| bad_value(lang, "field-priority", &self.priority))?;
        Ok(NewTicket {
            customer,
            transaction: Some(self.transaction.clone()).filter(|t| !t.trim().is_empty()),
            category,
            priority,
            subject: self.subject.clone(),
            description: self.description.clone(),
        })
    }
}

/// Opens the ticket; answers it, or the refusal to show on the form.
async fn open_ticket(
    viewer: &Viewer,
    state: &AppState,
    request: NewTicket,
) -> Result<Result<Ticket, String>, DeskError> {
    let settings = sla_settings(state).await?;
    let actor = actor(viewer);
    match state
        .db
        .write(move |conn| service::open(conn, &settings, &actor, request.clone()))
        .await
    {
        Ok(ticket) => Ok(Ok(ticket)),
        Err(TicketError::Db(db)) => Err(db.into()),
        Err(error @ (TicketError::Calendar(_) | TicketError::Mail(_))) => {
            Err(DeskError::internal(error))
        }
        Err(error) => Ok(Err(error.message().text(viewer.lang))),
    }
}

fn opened(session: &Session, ticket: &Ticket, lang: Lang) -> Result<HttpResponse, DeskError> {
    see_other_noting(
        session,
        &format!("/agent/tickets/{}", ticket.id.reference()),
        i18n::text(lang, "notice-ticket-opened"),
    )
}

async fn open_for_customer(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    session: Session,
    form: CsrfForm<OpenTicketForm>,
) -> Result<HttpResponse, DeskError> {
    let customer = CustomerId(id.into_inner());
    let form = form.0;
    match open_ticket(&viewer, &state, form.request(customer, viewer.lang)?).await? {
        Ok(ticket) => opened(&session, &ticket, viewer.lang),
        Err(message) => see_other_refused(
            &session,
            &format!("/agent/customers/{customer}"),
            &form.refused(message),
        ),
    }
}

#[derive(Template)]
#[template(path = "agent/transactions.html")]
struct TransactionSearchPage {
    title: String,
    chrome: Chrome,
    search: String,
    not_found: bool,
}

async fn transaction_search(
    viewer: Viewer,
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, DeskError> {
    let search = crate::domain::text::search(&params.q);
    if !search.is_empty() {
        let text = search.clone();
        let found = state
            .db
            .run(move |conn| view::find_transaction(conn, &text))
            .await?;
        if let Some(tx) = found {
            return Ok(see_other(&format!(
                "/agent/transactions/{}",
                path_segment(&tx.reference)
            )));
        }
    }
    render(
        TransactionSearchPage {
            title: i18n::text(viewer.lang, "nav-transactions"),
            chrome: Chrome::new(&viewer, "transactions"),
            not_found: !search.is_empty(),
            search,
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "agent/transaction.html")]
struct TransactionPage {
    title: String,
    chrome: Chrome,
    tx: TransactionPanel,
    customer: Customer,
    tickets: Vec<Ticket>,
    form: OpenTicketView,
}

async fn transaction_view(
    viewer: &Viewer,
    state: &AppState,
    reference: String,
    draft: OpenTicketDraft,
    error: Option<String>,
) -> Result<HttpResponse, DeskError> {
    let wanted = reference.clone();
    let found = state
        .db
        .run(move |conn| {
            let Some(tx) = view::find_transaction(conn, &wanted)? else {
                return Ok::<_, DeskError>(None);
            };
            let customer = Customer::find(conn, tx.customer_id)
                .map_err(DeskError::internal)?
                .ok_or_else(|| DeskError::internal("a transaction's customer is missing"))?;
            let tickets = view::tickets_of_transaction(conn, tx.id)?;
            let panel = view::transaction_panel(conn, tx)?;
            Ok(Some((panel, customer, tickets)))
        })
        .await?;
    let (tx, customer, tickets) = found.ok_or_else(|| unknown_transaction(viewer, &reference))?;
    let reference = tx.transaction.reference.clone();
    render(
        TransactionPage {
            title: reference.clone(),
            chrome: Chrome::new(viewer, "transactions"),
            form: OpenTicketView::new(
                format!("/agent/transactions/{reference}/tickets"),
                vec![reference],
                draft,
                error,
            ),
            tx,
            customer,
            tickets,
        },
        StatusCode::OK,
    )
}

async fn transaction_page(
    viewer: Viewer,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let reference = reference.into_inner();
    let here = format!("/agent/transactions/{}", path_segment(&reference));
    let refused = take_refused(&session, &here);
    let draft = match &refused {
        Some(refused) => OpenTicketDraft::from_refused(refused),
        None => OpenTicketDraft {
            transaction: reference.clone(),
            ..OpenTicketDraft::default()
        },
    };
    transaction_view(&viewer, &state, reference, draft, refused.map(|r| r.error)).await
}

async fn open_for_transaction(
    viewer: Viewer,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    session: Session,
    form: CsrfForm<OpenTicketForm>,
) -> Result<HttpResponse, DeskError> {
    let reference = reference.into_inner();
    let mut form = form.0;
    form.transaction = reference.clone();
    let wanted = reference.clone();
    let customer = state
        .db
        .run(move |conn| view::find_transaction(conn, &wanted))
        .await?
        .map(|tx| tx.customer_id)
        .ok_or_else(|| unknown_transaction(&viewer, &reference))?;
    match open_ticket(&viewer, &state, form.request(customer, viewer.lang)?).await? {
        Ok(ticket) => opened(&session, &ticket, viewer.lang),
        Err(message) => see_other_refused(
            &session,
            &format!("/agent/transactions/{}", path_segment(&reference)),
            &form.refused(message),
        ),
    }
}

//! The mails a customer gets, one askama template per kind (text and
//! HTML), every word from the catalogs in the customer's language. User
//! text is escaped in the HTML part; subjects lose their line breaks when
//! queued.

use super::outbox::OutgoingMail;
use crate::db::models::Customer;
use crate::domain::TicketId;
use crate::i18n::{self, Lang};
use askama::Template;

/// What every letter has around its own words.
#[derive(Debug, Clone)]
pub struct Letter {
    pub lang: &'static str,
    pub subject: String,
    pub greeting: String,
    pub reply_hint: String,
    pub signature: String,
    pub reference: String,
}

impl Letter {
    fn new(lang: Lang, customer: &Customer, ticket: TicketId, subject: String) -> Letter {
        let reference = ticket.reference();
        Letter {
            lang: lang.tag(),
            subject,
            greeting: i18n::text_with(lang, "mail-greeting", &[("name", customer.name.clone())]),
            reply_hint: i18n::text_with(lang, "mail-reply-hint", &[("ticket", reference.clone())]),
            signature: i18n::text(lang, "mail-signature"),
            reference: i18n::text_with(lang, "mail-reference", &[("ticket", reference)]),
        }
    }
}

/// The two parts of one kind of letter, rendered.
fn letter(
    customer: &Customer,
    ticket: TicketId,
    template: &'static str,
    letter: Letter,
    parts: (askama::Result<String>, askama::Result<String>),
) -> askama::Result<OutgoingMail> {
    Ok(OutgoingMail {
        to: customer.email.clone(),
        locale: customer.locale,
        template,
        subject: letter.subject,
        body_text: parts.0?,
        body_html: parts.1?,
        ticket: Some(ticket),
        customer: Some(customer.id),
    })
}

#[derive(Template)]
#[template(path = "email/agent_reply.txt")]
struct AgentReplyText<'a> {
    letter: &'a Letter,
    intro: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "email/agent_reply.html")]
struct AgentReplyHtml<'a> {
    letter: &'a Letter,
    intro: &'a str,
    paragraphs: Vec<&'a str>,
}

/// An agent's public reply on the customer's ticket.
pub fn agent_reply(
    customer: &Customer,
    ticket: TicketId,
    ticket_subject: &str,
    agent_name: &str,
    body: &str,
) -> askama::Result<OutgoingMail> {
    let lang = Lang::from(customer.locale);
    let values = [
        ("subject", ticket_subject.to_owned()),
        ("ticket", ticket.reference()),
        ("agent", agent_name.to_owned()),
    ];
    let head = Letter::new(
        lang,
        customer,
        ticket,
        i18n::text_with(lang, "mail-reply-subject", &values),
    );
    let intro = i18n::text_with(lang, "mail-reply-intro", &values);
    let paragraphs = body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let parts = (
        AgentReplyText {
            letter: &head,
            intro: &intro,
            body,
        }
        .render(),
        AgentReplyHtml {
            letter: &head,
            intro: &intro,
            paragraphs,
        }
        .render(),
    );
    letter(customer, ticket, "agent_reply", head, parts)
}

#[derive(Template)]
#[template(path = "email/remedy_executed.txt")]
struct RemedyText<'a> {
    letter: &'a Letter,
    headline: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "email/remedy_executed.html")]
struct RemedyHtml<'a> {
    letter: &'a Letter,
    headline: &'a str,
    body: &'a str,
}

/// A remedy that was run for the customer: `kind` names its words
/// (`mail-remedy-refund`, `mail-remedy-body-refund`…); `values` fill them
/// (amount, reference).
pub fn remedy_executed(
    customer: &Customer,
    ticket: TicketId,
    kind: &str,
    values: &[(&str, String)],
) -> askama::Result<OutgoingMail> {
    let lang = Lang::from(customer.locale);
    let headline = i18n::text(lang, &format!("mail-remedy-{kind}"));
    let subject = i18n::text_with(
        lang,
        "mail-remedy-subject",
        &[("ticket", ticket.reference()), ("what", headline.clone())],
    );
    let body = i18n::text_with(lang, &format!("mail-remedy-body-{kind}"), values);
    let head = Letter::new(lang, customer, ticket, subject);
    let parts = (
        RemedyText {
            letter: &head,
            headline: &headline,
            body: &body,
        }
        .render(),
        RemedyHtml {
            letter: &head,
            headline: &headline,
            body: &body,
        }
        .render(),
    );
    letter(customer, ticket, "remedy_executed", head, parts)
}

#[derive(Template)]
#[template(path = "email/ticket_solved.txt")]
struct SolvedText<'a> {
    letter: &'a Letter,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "email/ticket_solved.html")]
struct SolvedHtml<'a> {
    letter: &'a Letter,
    body: &'a str,
}

/// The customer's ticket is solved.
pub fn ticket_solved(
    customer: &Customer,
    ticket: TicketId,
    ticket_subject: &str,
) -> askama::Result<OutgoingMail> {
    let lang = Lang::from(customer.locale);
    let values = [
        ("subject", ticket_subject.to_owned()),
        ("ticket", ticket.reference()),
    ];
    let head = Letter::new(
        lang,
        customer,
        ticket,
        i18n::text_with(lang, "mail-solved-subject", &values),
    );
    let body = i18n::text_with(lang, "mail-solved-body", &values);
    let parts = (
        SolvedText {
            letter: &head,
            body: &body,
        }
        .render(),
        SolvedHtml {
            letter: &head,
            body: &body,
        }
        .render(),
    );
    letter(customer, ticket, "ticket_solved", head, parts)
}

#[derive(Template)]
#[template(path = "email/dispute_received.txt")]
struct ReceivedText<'a> {
    letter: &'a Letter,
    body: &'a str,
    track: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/dispute_received.html")]
struct ReceivedHtml<'a> {
    letter: &'a Letter,
    body: &'a str,
    track: &'a str,
    link: &'a str,
}

/// A dispute was filed: its reference, when we answer, and the tracking
/// link (the only place the link's token is ever written).
pub fn dispute_received(
    customer: &Customer,
    ticket: &crate::db::models::Ticket,
    link: &str,
    sla: &crate::tickets::sla::SlaSettings,
) -> askama::Result<OutgoingMail> {
    let lang = Lang::from(customer.locale);
    let due = ticket
        .first_response_due_at
        .map(|at| {
            sla.calendar
                .local(at)
                .format("%Y-%m-%d %H:%M (UTC%:z)")
                .to_string()
        })
        .unwrap_or_default();
    let values = [
        ("ticket", ticket.id.reference()),
        ("category", i18n::word(lang, ticket.category)),
        ("due", due),
    ];
    let head = Letter::new(
        lang,
        customer,
        ticket.id,
        i18n::text_with(lang, "mail-received-subject", &values),
    );
    let body = i18n::text_with(lang, "mail-received-body", &values);
    let track = i18n::text(lang, "mail-received-track");
    let parts = (
        ReceivedText {
            letter: &head,
            body: &body,
            track: &track,
            link,
        }
        .render(),
        ReceivedHtml {
            letter: &head,
            body: &body,
            track: &track,
            link,
        }
        .render(),
    );
    letter(customer, ticket.id, "dispute_received", head, parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    fn customer(locale: Locale, name: &str) -> Customer {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        Customer {
            id: CustomerId(7),
            external_ref: "CU-7".into(),
            email: "wang@example.com".into(),
            name: name.into(),
            phone: None,
            locale,
            status: CustomerStatus::Active,
            status_reason: None,
            status_changed_at: None,
            identity_verified: false,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn each_kind_reads_in_the_customers_language_with_both_parts() -> askama::Result<()> {
        let zh = customer(Locale::ZhCn, "王芳");
        let reply = agent_reply(
            &zh,
            TicketId(42),
            "退款没到",
            "小李",
            "已重新发起。\n\n<b>请查收</b>",
        )?;
        assert_eq!(reply.subject, "回复：退款没到 [RD-000042]");
        assert!(
            reply.body_text.starts_with(
                "王芳，您好：\n\n客服 小李 回复了您的问题“退款没到”：\n\n已重新发起。"
            ),
            "{}",
            reply.body_text
        );
        assert!(
            reply
                .body_text
                .trim_end()
                .ends_with("Redress 客服中心\n工单 RD-000042"),
            "{}",
            reply.body_text
        );
        assert!(
            reply
                .body_html
                .contains("<p>&#60;b&#62;请查收&#60;/b&#62;</p>"),
            "{}",
            reply.body_html
        );
        assert!(reply.body_html.contains("lang=\"zh-CN\""));

        let en = customer(Locale::En, "Amy <Lee>");
        let refund = remedy_executed(
            &en,
            TicketId(9),
            "refund",
            &[
                ("amount", "120.00 CNY".into()),
                ("reference", "PAY-1".into()),
                ("by", "2026-12-09".into()),
            ],
        )?;
        assert_eq!(refund.subject, "[RD-000009] Your refund has been issued");
        assert!(
            refund
                .body_text
                .contains("We have refunded 120.00 CNY for PAY-1 to your wallet. Refunds normally show within 3–5 business days, so by 2026-12-09 at the latest."),
            "{}",
            refund.body_text
        );
        assert!(
            refund.body_html.contains("Dear Amy &#60;Lee&#62;,"),
            "{}",
            refund.body_html
        );
        assert_eq!(refund.template, "remedy_executed");

        let solved = ticket_solved(&en, TicketId(9), "Card charged twice")?;
        assert_eq!(
            solved.subject,
            "[RD-000009] Your request is solved: Card charged twice"
        );
        assert!(solved.body_text.contains("“Card charged twice” as solved"));
        assert!(solved.body_html.contains("keep RD-000009 in the subject"));
        Ok(())
    }
}

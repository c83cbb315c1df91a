//! Row identifiers as distinct types, so a ticket id can never be passed
//! where a customer id is expected.

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, DieselNewType, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    AgentId,
    CustomerId,
    LedgerAccountId,
    TransferId,
    TransactionId,
    /// Shown to people as its reference, `RD-000123`.
    TicketId,
    TicketEventId,
    RemedyId,
);

impl TicketId {
    const PREFIX: &'static str = "RD-";

    /// The reference agents and users see: `RD-` and at least six digits.
    pub fn reference(self) -> String {
        format!("{}{:06}", Self::PREFIX, self.0)
    }

    /// A ticket's number typed without its prefix (`540` for RD-000540).
    pub fn parse_number(text: &str) -> Option<TicketId> {
        let digits = text.trim();
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|id| *id > 0).map(TicketId)
    }

    /// Parses `RD-000123` (any case, surrounding blanks ignored).
    pub fn parse_reference(text: &str) -> Option<TicketId> {
        let text = text.trim();
        let digits = text
            .get(..Self::PREFIX.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(Self::PREFIX))
            .map(|_| &text[Self::PREFIX.len()..])?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|id| *id > 0).map(TicketId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_reference_round_trips() {
        assert_eq!(TicketId(123).reference(), "RD-000123");
        assert_eq!(TicketId(1_234_567).reference(), "RD-1234567");
        assert_eq!(
            TicketId::parse_reference(" rd-000123 "),
            Some(TicketId(123))
        );
        assert_eq!(TicketId::parse_reference("RD-"), None);
        assert_eq!(TicketId::parse_reference("RD-12a"), None);
        assert_eq!(TicketId::parse_reference("RD-000000"), None);
        assert_eq!(TicketId::parse_reference("TX123"), None);
    }
}

//! Tickets: how they move, their SLA clocks, the queue, and the changes
//! agents make to them.

pub mod bench;
pub mod dashboard;
pub mod queue;
pub mod service;
pub mod sla;
pub mod terms;
pub mod view;
pub mod write_bench;

use crate::domain::TicketStatus;

/// Statuses of tickets still being worked.
pub const UNSOLVED: [TicketStatus; 4] = [
    TicketStatus::New,
    TicketStatus::Open,
    TicketStatus::Pending,
    TicketStatus::OnHold,
];

/// Whether an agent may move a ticket from one status to another. New is
/// only where tickets start; closed is set by the system some days after
/// solved, and is final; a solved ticket can be reopened.
pub fn agent_may_move(from: TicketStatus, to: TicketStatus) -> bool {
    use TicketStatus::*;
    match (from, to) {
        (_, New) | (_, Closed) | (Closed, _) => false,
        (Solved, to) => to == Open,
        (from, to) => from != to,
    }
}

/// The statuses an agent may choose for a ticket now in `from`.
pub fn agent_choices(from: TicketStatus) -> Vec<TicketStatus> {
    use strum::IntoEnumIterator;
    TicketStatus::iter()
        .filter(|to| agent_may_move(from, *to))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn agents_move_tickets_along_the_designed_paths() {
        assert!(agent_may_move(New, Open));
        assert!(agent_may_move(Open, Pending));
        assert!(agent_may_move(Pending, OnHold));
        assert!(agent_may_move(OnHold, Solved));
        assert!(agent_may_move(Solved, Open));
        assert!(!agent_may_move(Open, New));
        assert!(!agent_may_move(Solved, Pending));
        assert!(!agent_may_move(Solved, Closed));
        assert!(!agent_may_move(Closed, Open));
        assert!(!agent_may_move(Open, Open));
        assert_eq!(agent_choices(Solved), vec![Open]);
        assert!(agent_choices(Closed).is_empty());
    }
}

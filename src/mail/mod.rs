//! E-mail to wallet users. Mails are written to the outbox in the same
//! transaction as the event they tell of; a worker sends them later.

pub mod admin;
pub mod inbound;
pub mod letters;
pub mod outbox;
pub mod transport;
pub mod worker;

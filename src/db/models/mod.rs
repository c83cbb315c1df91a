//! Row structs: what a table row holds, typed. Insert rows carry their id
//! where the caller assigns it (bulk generation) and leave it out otherwise.

mod agents;
mod customers;
mod ledger;
mod tickets;
mod transactions;

pub use agents::*;
pub use customers::*;
pub use ledger::*;
pub use tickets::*;
pub use transactions::*;

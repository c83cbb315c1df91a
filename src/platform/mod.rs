//! The wallet platform's side: API tokens, and the records it feeds in.

pub mod customers;
pub mod import;
pub mod tokens;
pub mod transactions;

//! The user's side: disputes filed on the public form, the instant
//! diagnosis, and the tracking link. Wallet users never sign in: a dispute
//! is tied to its e-mail address, and its tracking page to a random token.

pub mod diagnosis;
pub mod intake;
pub mod tracking;

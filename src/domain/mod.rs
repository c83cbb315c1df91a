//! Domain types: money, identifiers and the enumerations the database keeps
//! as text. Knows neither diesel's queries nor actix.

/// Stores a type as TEXT through its `FromStr` and `&'static str` forms, so
/// a row struct holds the typed value and an unknown string in the database
/// is a read error, not a silent default.
macro_rules! text_column {
    ($name:ident) => {
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                let text: &'static str = self.into();
                text.to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse()
                    .map_err(|_| format!("unknown {} '{}'", stringify!($name), text).into())
            }
        }
    };
}

pub mod enums;
pub mod ids;
pub mod money;
pub mod text;

pub use enums::*;
pub use ids::*;
pub use money::{Currency, Money, MoneyError, parse_currency};
pub use text::TextError;

//! Money: integer minor units in storage, `rust_decimal` at the edges.

use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

/// A currency the wallet holds, with its number of decimal places.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Display,
    EnumString,
    EnumIter,
    IntoStaticStr,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
)]
#[strum(serialize_all = "UPPERCASE")]
#[serde(rename_all = "UPPERCASE")]
#[diesel(sql_type = Text)]
pub enum Currency {
    Cny,
    Usd,
    Usdt,
    Btc,
}

text_column!(Currency);

impl Currency {
    /// Decimal places of one minor unit.
    pub fn scale(self) -> u32 {
        match self {
            Currency::Cny | Currency::Usd => 2,
            Currency::Usdt => 6,
            Currency::Btc => 8,
        }
    }

    pub fn code(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an amount")]
    NotANumber(String),
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("{currency} amounts have at most {scale} decimal places")]
    TooPrecise { currency: Currency, scale: u32 },
    #[error("the amount is too large")]
    TooLarge,
    #[error("'{0}' is not a supported currency")]
    UnknownCurrency(String),
}

/// An amount of one currency, held as minor units (cents, satoshis...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses a positive amount typed by a person or sent by the platform,
    /// e.g. `"120.5"` USDT. More decimals than the currency has is an error,
    /// never a silent rounding.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let value =
            Decimal::from_str(trimmed).map_err(|_| MoneyError::NotANumber(trimmed.to_owned()))?;
        Money::from_decimal(value, currency)
    }

    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if value <= Decimal::ZERO {
            return Err(MoneyError::NotPositive);
        }
        let scale = currency.scale();
        let value = value.normalize();
        if value.scale() > scale {
            return Err(MoneyError::TooPrecise { currency, scale });
        }
        let factor = Decimal::from(10_i64.pow(scale));
        let minor = value
            .checked_mul(factor)
            .and_then(|scaled| i64::try_from(scaled).ok())
            .ok_or(MoneyError::TooLarge)?;
        Ok(Money { minor, currency })
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.scale())
    }
}

impl fmt::Display for Money {
    /// `120.000000 USDT`: every decimal place of the currency, then its code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency)
    }
}

/// Parses a currency code as the platform or a form sends it (`usdt`, `CNY`).
pub fn parse_currency(code: &str) -> Result<Currency, MoneyError> {
    Currency::from_str(&code.trim().to_ascii_uppercase())
        .map_err(|_| MoneyError::UnknownCurrency(code.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_to_minor_units_by_scale() {
        assert_eq!(
            Money::parse("120.5", Currency::Usdt).map(Money::minor),
            Ok(120_500_000)
        );
        assert_eq!(Money::parse("0.01", Currency::Cny).map(Money::minor), Ok(1));
        assert_eq!(
            Money::parse(" 7 ", Currency::Btc).map(Money::minor),
            Ok(700_000_000)
        );
        assert_eq!(
            Money::parse("1.50", Currency::Cny).map(Money::minor),
            Ok(150)
        );
    }

    #[test]
    fn refuses_what_is_not_a_positive_exact_amount() {
        assert_eq!(
            Money::parse("0.001", Currency::Cny),
            Err(MoneyError::TooPrecise {
                currency: Currency::Cny,
                scale: 2
            })
        );
        assert_eq!(
            Money::parse("-1", Currency::Cny),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::parse("0", Currency::Cny),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::parse("abc", Currency::Cny),
            Err(MoneyError::NotANumber("abc".into()))
        );
        assert_eq!(
            Money::parse("100000000000000000", Currency::Btc),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn displays_every_decimal_place() {
        assert_eq!(
            Money::from_minor(120_000_000, Currency::Usdt).to_string(),
            "120.000000 USDT"
        );
        assert_eq!(Money::from_minor(5, Currency::Cny).to_string(), "0.05 CNY");
    }

    #[test]
    fn currency_codes_parse_in_any_case() {
        assert_eq!(parse_currency("usdt"), Ok(Currency::Usdt));
        assert_eq!(
            parse_currency("EUR"),
            Err(MoneyError::UnknownCurrency("EUR".into()))
        );
    }
}

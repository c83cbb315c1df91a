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

    /// The largest single amount accepted, in minor units: ten billion
    /// units of a fiat or stable coin, 21 million bitcoin. Every bound is
    /// below `i64::MAX / 900`, so hundreds of maximal movements fit in an
    /// account's totals; past that the ledger's checked sums refuse.
    pub fn max_minor(self) -> i64 {
        match self {
            Currency::Cny | Currency::Usd => 1_000_000_000_000,
            Currency::Usdt => 10_000_000_000_000_000,
            Currency::Btc => 2_100_000_000_000_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an amount: write digits with at most one decimal point, such as 120.50")]
    NotANumber(String),
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("{currency} amounts have at most {scale} decimal places")]
    TooPrecise { currency: Currency, scale: u32 },
    #[error("the amount is larger than {0}")]
    TooLarge(Money),
    #[error("'{0}' is not a supported currency")]
    UnknownCurrency(String),
}

impl MoneyError {
    /// What is wrong, in the reader's words (`money-…` in the catalogs).
    pub fn message(&self) -> crate::i18n::Message {
        use crate::i18n::Message;
        match self {
            MoneyError::NotANumber(text) => {
                Message::new("money-not-a-number").with("text", text.clone())
            }
            MoneyError::NotPositive => Message::new("money-not-positive"),
            MoneyError::TooPrecise { currency, scale } => Message::new("money-too-precise")
                .with("currency", currency.to_string())
                .with("scale", scale.to_string()),
            MoneyError::TooLarge(max) => {
                Message::new("money-too-large").with("max", max.to_string())
            }
            MoneyError::UnknownCurrency(code) => {
                Message::new("money-unknown-currency").with("code", code.clone())
            }
        }
    }
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
    /// e.g. `"120.5"` USDT: plain digits with at most one decimal point
    /// between digits (no sign, exponent, separators or leading point).
    /// More decimals than the currency has is an error, never a silent
    /// rounding; so is more than the currency's maximum.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let not_a_number = || {
            let shown: String = trimmed.chars().take(40).collect();
            MoneyError::NotANumber(shown)
        };
        let (whole, fraction) = match trimmed.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (trimmed, None),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !fraction.is_none_or(digits) {
            return Err(not_a_number());
        }
        let fraction = fraction.unwrap_or("").trim_end_matches('0');
        let scale = currency.scale();
        if fraction.len() > scale as usize {
            return Err(MoneyError::TooPrecise { currency, scale });
        }
        // Minor units digit by digit, checked: no text can overflow.
        let minor = whole
            .bytes()
            .chain(fraction.bytes())
            .chain(std::iter::repeat_n(b'0', scale as usize - fraction.len()))
            .try_fold(0_i64, |total, digit| {
                total.checked_mul(10)?.checked_add(i64::from(digit - b'0'))
            });
        Money::checked(minor, currency)
    }

    /// Minor units within (0, the currency's maximum].
    fn checked(minor: Option<i64>, currency: Currency) -> Result<Money, MoneyError> {
        let max = Money::from_minor(currency.max_minor(), currency);
        match minor {
            Some(minor) if minor <= 0 => Err(MoneyError::NotPositive),
            Some(minor) if minor <= max.minor => Ok(Money { minor, currency }),
            _ => Err(MoneyError::TooLarge(max)),
        }
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
            .and_then(|scaled| i64::try_from(scaled).ok());
        Money::checked(minor, currency)
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
            Err(MoneyError::NotANumber("-1".into()))
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
            Err(MoneyError::TooLarge(Money::from_minor(
                2_100_000_000_000_000,
                Currency::Btc
            )))
        );
        for text in [
            "1e10", "1_000", "+5", ".5", "5.", "1.2.3", "", " ", "0x10", "١٢", "1,000", "-0",
            "NaN", "inf", "5 0",
        ] {
            assert!(
                matches!(
                    Money::parse(text, Currency::Cny),
                    Err(MoneyError::NotANumber(_))
                ),
                "{text:?} is refused as not an amount"
            );
        }
        for text in [
            "92233720368547758.07",
            "10000000000.01",
            "99999999999999999999999999999999",
        ] {
            assert!(
                matches!(
                    Money::parse(text, Currency::Cny),
                    Err(MoneyError::TooLarge(_))
                ),
                "{text} is too large"
            );
        }
        assert_eq!(
            Money::parse("10000000000", Currency::Cny).map(Money::minor),
            Ok(1_000_000_000_000)
        );
        assert_eq!(
            Money::parse("0.000", Currency::Cny),
            Err(MoneyError::NotPositive)
        );
    }

    proptest::proptest! {
        /// Any text at all: an answer, never a panic, and an accepted
        /// amount is positive, within the maximum and prints back as
        /// itself.
        #[test]
        fn any_text_parses_or_is_refused(text in "\\PC{0,40}", digits in "[0-9]{1,25}(\\.[0-9]{0,9})?") {
            for text in [text.as_str(), digits.as_str()] {
                for currency in [Currency::Cny, Currency::Usdt, Currency::Btc] {
                    if let Ok(money) = Money::parse(text, currency) {
                        proptest::prop_assert!(money.minor() > 0);
                        proptest::prop_assert!(money.minor() <= currency.max_minor());
                        proptest::prop_assert_eq!(Money::parse(&money.to_decimal().to_string(), currency), Ok(money));
                    }
                }
            }
        }
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

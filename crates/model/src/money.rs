use std::fmt;

use serde::{Deserialize, Serialize};

/// Decimal places kept for money once imported. Four, not two: normalising an annual
/// price to a month (÷ 12) or a unit price like 0.0125 must not lose cents before sums.
pub const MONEY_DECIMALS: u32 = 4;
/// `10^MONEY_DECIMALS`: one currency unit in stored units.
pub const MONEY_SCALE: i64 = 10_i64.pow(MONEY_DECIMALS);

/// An amount of money as an integer number of ten-thousandths of a currency unit.
/// Sums of `Money` are exact; floats never carry money.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_units(units: i64) -> Option<Self> {
        units.checked_mul(MONEY_SCALE).map(Money)
    }

    /// Rounds half away from zero to whole cents.
    pub fn round_to_cents(self) -> Money {
        let step = MONEY_SCALE / 100;
        let rem = self.0 % step;
        let down = self.0 - rem;
        let up = if 2 * rem.abs() >= step { step * rem.signum() } else { 0 };
        Money(down + up)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// Formats with two decimals (rounded half away from zero), as finance reports money.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.round_to_cents().0 / (MONEY_SCALE / 100);
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_two_decimals_rounding_half_away_from_zero() {
        assert_eq!(Money(123_4550).to_string(), "123.46");
        assert_eq!(Money(123_4549).to_string(), "123.45");
        assert_eq!(Money(-123_4550).to_string(), "-123.46");
        assert_eq!(Money(-50).to_string(), "-0.01");
        assert_eq!(Money(49).to_string(), "0.00");
        assert_eq!(Money::ZERO.to_string(), "0.00");
    }
}

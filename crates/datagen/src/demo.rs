use std::io::{self, Write};

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::Rng;

/// The demo company's files: a SaaS with a few thousand customers over three years.
pub struct DemoSaas {
    pub subscriptions: Vec<u8>,
    pub customers: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    Starter,
    Pro,
    Business,
    Enterprise,
}

impl Plan {
    fn name(self) -> &'static str {
        match self {
            Plan::Starter => "Starter",
            Plan::Pro => "Pro",
            Plan::Business => "Business",
            Plan::Enterprise => "Enterprise",
        }
    }

    fn segment(self) -> &'static str {
        match self {
            Plan::Starter | Plan::Pro => "SMB",
            Plan::Business => "Mid-Market",
            Plan::Enterprise => "Enterprise",
        }
    }

    /// Monthly probability of cancelling.
    fn churn_rate(self) -> f64 {
        match self {
            Plan::Starter => 0.04,
            Plan::Pro => 0.02,
            Plan::Business => 0.012,
            Plan::Enterprise => 0.005,
        }
    }

    fn up(self) -> Plan {
        match self {
            Plan::Starter => Plan::Pro,
            Plan::Pro => Plan::Business,
            Plan::Business | Plan::Enterprise => Plan::Enterprise,
        }
    }

    fn down(self) -> Plan {
        match self {
            Plan::Enterprise => Plan::Business,
            Plan::Business => Plan::Pro,
            Plan::Pro | Plan::Starter => Plan::Starter,
        }
    }
}

/// How one subscription row is billed.
struct Terms {
    plan: Plan,
    amount: String,
    interval: &'static str,
    quantity: u32,
}

fn terms(rng: &mut Rng, plan: Plan, seats: u32) -> Terms {
    match plan {
        Plan::Starter => Terms { plan, amount: "29.00".into(), interval: "month", quantity: 1 },
        Plan::Pro if rng.chance(0.2) => Terms { plan, amount: "990.00".into(), interval: "year", quantity: 1 },
        Plan::Pro => Terms { plan, amount: "99.00".into(), interval: "month", quantity: 1 },
        Plan::Business if rng.chance(0.3) => {
            Terms { plan, amount: "90.00".into(), interval: "quarter", quantity: seats }
        }
        Plan::Business => Terms { plan, amount: "30.00".into(), interval: "month", quantity: seats },
        Plan::Enterprise => {
            let thousands = 12 + rng.below(49);
            Terms { plan, amount: format!("{thousands},000.00"), interval: "year", quantity: 1 }
        }
    }
}

const COUNTRIES: &[&str] = &["US", "US", "US", "GB", "DE", "FR", "CA", "AU", "NL", "SE", "ES", "BR"];
const OWNERS: &[&str] = &["Ana Ruiz", "Ben Okafor", "Chloé Martin", "Dev Patel", "Eli Cohen"];
const NAME_A: &[&str] = &["Blue", "North", "Bright", "Silver", "Quick", "Green", "Iron", "Lucky", "Red", "Clear"];
const NAME_B: &[&str] = &["River", "Peak", "Harbor", "Field", "Stone", "Cloud", "Forge", "Pine", "Bay", "Arc"];
const NAME_C: &[&str] = &["Labs", "Studio", "Systems", "Foods", "Logistics", "Health", "Media", "Works", "Co", "Group"];

/// The demo SaaS, generated from `seed`: `subscriptions.csv` and `customers.csv` with
/// upgrades, downgrades, seat changes, add-ons, discounts, churn and reactivation, from
/// 2023-01 to 2025-12, and a provided churn column for part of the customers.
pub fn write_demo_saas(seed: u64) -> io::Result<DemoSaas> {
    let mut rng = Rng::new(seed);
    let first = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let mut subs = Vec::new();
    let mut customers = Vec::new();
    writeln!(
        subs,
        "Subscription ID,Customer ID,Plan,Amount,Currency,Interval,Interval Count,Seats,Discount %,Start Date,End Date,Status"
    )?;
    writeln!(customers, "Customer ID,Company,Signup Date,Segment,Plan,Country,Owner,Churned,Churn Date")?;

    let mut next_sub = 1u32;
    let mut customer_no = 0u32;
    for month in 0..36u32 {
        let month_start = first.checked_add_months(Months::new(month)).unwrap_or(first);
        let signups = 60 + 3 * month + rng.below(20) as u32;
        for _ in 0..signups {
            customer_no += 1;
            let id = format!("CUS-{customer_no:05}");
            let signup = month_start.checked_add_days(Days::new(rng.below(28))).unwrap_or(month_start);
            let name = format!("{} {} {}", rng.pick(NAME_A), rng.pick(NAME_B), rng.pick(NAME_C));
            let mut plan = match rng.below(100) {
                0..=49 => Plan::Starter,
                50..=84 => Plan::Pro,
                85..=96 => Plan::Business,
                _ => Plan::Enterprise,
            };
            let first_plan = plan;
            let discount = if rng.chance(0.15) { *rng.pick(&["10", "20"]) } else { "" };
            let mut seats = 5 + rng.below(36) as u32;
            let mut churned_on: Option<NaiveDate> = None;

            // 30 % of trials never convert: a customer with no billing rows.
            if rng.chance(0.7) {
                let mut start = signup.checked_add_days(Days::new(14)).unwrap_or(signup);
                let mut current = terms(&mut rng, plan, seats);
                let mut day = start;
                while day < end {
                    day = day.checked_add_months(Months::new(1)).unwrap_or(end);
                    if day >= end {
                        break;
                    }
                    let roll = rng.below(1000) as f64 / 1000.0;
                    let change = if roll < plan.churn_rate() {
                        Some(None)
                    } else if roll < plan.churn_rate() + 0.015 && plan != Plan::Enterprise {
                        Some(Some(plan.up()))
                    } else if roll < plan.churn_rate() + 0.022 && plan != Plan::Starter {
                        Some(Some(plan.down()))
                    } else if roll < plan.churn_rate() + 0.052 && plan == Plan::Business {
                        seats = (seats as i64 + rng.below(11) as i64 - 5).max(2) as u32;
                        Some(Some(plan))
                    } else {
                        None
                    };
                    let Some(next) = change else { continue };
                    write_sub(&mut subs, next_sub, &id, &current, discount, start, Some(day))?;
                    next_sub += 1;
                    match next {
                        Some(next_plan) => {
                            plan = next_plan;
                            current = terms(&mut rng, plan, seats);
                            start = day;
                        }
                        None => {
                            churned_on = Some(day);
                            // A quarter of churned customers come back a few months later.
                            let back = day.checked_add_months(Months::new(2 + rng.below(7) as u32));
                            match back {
                                Some(back) if back < end && rng.chance(0.25) => {
                                    plan = Plan::Starter;
                                    current = terms(&mut rng, plan, seats);
                                    start = back;
                                    day = back;
                                    churned_on = None;
                                }
                                _ => {
                                    start = end;
                                    break;
                                }
                            }
                        }
                    }
                }
                if start < end {
                    write_sub(&mut subs, next_sub, &id, &current, discount, start, None)?;
                    next_sub += 1;
                }
                // Add-ons: a second subscription that lives on its own.
                if matches!(first_plan, Plan::Pro | Plan::Business) && rng.chance(0.08) {
                    let addon_start = signup.checked_add_months(Months::new(1 + rng.below(6) as u32));
                    if let Some(addon_start) = addon_start.filter(|d| *d < end) {
                        let addon_end = addon_start
                            .checked_add_months(Months::new(3 + rng.below(18) as u32))
                            .filter(|d| *d < end && rng.chance(0.5));
                        let addon = Terms { plan: first_plan, amount: "49.00".into(), interval: "month", quantity: 1 };
                        write_row(&mut subs, next_sub, &id, "Analytics add-on", &addon, "", addon_start, addon_end)?;
                        next_sub += 1;
                    }
                }
            }

            // The churn column is filled for 60 % of customers, as CRM exports often are.
            let (churned, churn_date) = if rng.chance(0.6) {
                match churned_on {
                    Some(day) => ("Yes", day.to_string()),
                    None => ("No", String::new()),
                }
            } else {
                ("", String::new())
            };
            writeln!(
                customers,
                "{id},{name},{signup},{},{},{},{},{churned},{churn_date}",
                first_plan.segment(),
                first_plan.name(),
                rng.pick(COUNTRIES),
                rng.pick(OWNERS),
            )?;
        }
    }
    Ok(DemoSaas { subscriptions: subs, customers })
}

fn write_sub(
    out: &mut Vec<u8>,
    number: u32,
    customer: &str,
    terms: &Terms,
    discount: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> io::Result<()> {
    write_row(out, number, customer, terms.plan.name(), terms, discount, start, end)
}

#[allow(clippy::too_many_arguments)]
fn write_row(
    out: &mut Vec<u8>,
    number: u32,
    customer: &str,
    plan: &str,
    terms: &Terms,
    discount: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> io::Result<()> {
    // US-style dates, as many billing exports write them.
    let us = |d: NaiveDate| format!("{:02}/{:02}/{}", d.month(), d.day(), d.year());
    let end_text = end.map(us).unwrap_or_default();
    let status = if end.is_some() { "canceled" } else { "active" };
    writeln!(
        out,
        "sub_{number:06},{customer},{plan},\"{}\",USD,{},1,{},{discount},{},{end_text},{status}",
        terms.amount,
        terms.interval,
        terms.quantity,
        us(start),
    )
}

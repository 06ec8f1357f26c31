use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The canonical dataset kinds of DESIGN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    Subscriptions,
    /// Invoices and transactions are one kind; "invoices" is accepted as its name.
    Transactions,
    Customers,
    Orders,
    Purchases,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 5] = [
        DatasetKind::Subscriptions,
        DatasetKind::Transactions,
        DatasetKind::Customers,
        DatasetKind::Orders,
        DatasetKind::Purchases,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Subscriptions => "subscriptions",
            DatasetKind::Transactions => "transactions",
            DatasetKind::Customers => "customers",
            DatasetKind::Orders => "orders",
            DatasetKind::Purchases => "purchases",
        }
    }

    /// The canonical columns of this kind, required ones first.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            DatasetKind::Subscriptions => SUBSCRIPTIONS,
            DatasetKind::Transactions => TRANSACTIONS,
            DatasetKind::Customers => CUSTOMERS,
            DatasetKind::Orders => ORDERS,
            DatasetKind::Purchases => PURCHASES,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown dataset kind '{0}': expected one of subscriptions, transactions (or invoices), customers, orders, purchases")]
pub struct ParseKindError(pub String);

impl FromStr for DatasetKind {
    type Err = ParseKindError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "subscriptions" | "subscription" => Ok(DatasetKind::Subscriptions),
            "transactions" | "transaction" | "invoices" | "invoice" => Ok(DatasetKind::Transactions),
            "customers" | "customer" => Ok(DatasetKind::Customers),
            "orders" | "order" => Ok(DatasetKind::Orders),
            "purchases" | "purchase" => Ok(DatasetKind::Purchases),
            _ => Err(ParseKindError(s.to_string())),
        }
    }
}

/// How a canonical column's text is read and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// An identifier: kept as text exactly as written (trimmed), so "00123" ≠ "123".
    Id,
    /// Free text.
    Text,
    /// Money: stored as [`crate::Money`] units (Int64, scale [`crate::MONEY_SCALE`]).
    Money,
    /// A calendar date (Date). Timestamps keep the date in their own offset.
    Date,
    /// A whole number (Int64), such as an interval count.
    Integer,
    /// A decimal number that is not money, such as a quantity (Float64).
    Number,
    /// A percentage from 0 to 100 (Float64); "15%" and "15" both read as 15.
    Percent,
    /// ISO 4217 code, upper-cased (Text).
    Currency,
    /// Billing interval, normalised to day/week/month/quarter/year (Text).
    Interval,
    /// Transaction type, normalised to charge/refund (Text).
    TransactionType,
    /// A yes/no flag (Boolean): yes/no, true/false, 1/0, y/n; for `churned`, a date means yes.
    Flag,
}

impl FieldType {
    pub fn storage(self) -> crate::StorageType {
        use crate::StorageType as S;
        match self {
            FieldType::Id
            | FieldType::Text
            | FieldType::Currency
            | FieldType::Interval
            | FieldType::TransactionType => S::Text,
            FieldType::Money => S::Money,
            FieldType::Date => S::Date,
            FieldType::Integer => S::Integer,
            FieldType::Number | FieldType::Percent => S::Float,
            FieldType::Flag => S::Bool,
        }
    }
}

/// One canonical column: its name, type, whether it is required, what it means (as the
/// metrics read it), and the header names (besides its own) that suggest it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub meaning: &'static str,
    pub synonyms: &'static [&'static str],
}

const fn req(name: &'static str, ty: FieldType, meaning: &'static str, synonyms: &'static [&'static str]) -> FieldSpec {
    FieldSpec { name, ty, required: true, meaning, synonyms }
}

const fn opt(name: &'static str, ty: FieldType, meaning: &'static str, synonyms: &'static [&'static str]) -> FieldSpec {
    FieldSpec { name, ty, required: false, meaning, synonyms }
}

use FieldType as T;

const CUSTOMER_ID: &[&str] = &[
    "customer",
    "customer id",
    "customer_id",
    "customerid",
    "cust",
    "cust id",
    "cust_id",
    "customer number",
    "customer no",
    "client",
    "client id",
    "account",
    "account id",
    "account_id",
    "user id",
    "user_id",
    "email",
    "customer email",
    "e-mail",
];
const CURRENCY: &[&str] = &["currency", "currency code", "curr", "ccy", "iso currency"];
const AMOUNT_CURRENCY: FieldSpec =
    opt("currency", T::Currency, "3-letter code of the amount; empty means the reporting currency.", CURRENCY);

static SUBSCRIPTIONS: &[FieldSpec] = &[
    req("customer_id", T::Id, "Who pays. Ids stay text: 00123 and 123 are different customers.", CUSTOMER_ID),
    req(
        "amount",
        T::Money,
        "Price per billing interval and per unit, before any discount.",
        &[
            "amount",
            "mrr",
            "mrr amount",
            "price",
            "plan amount",
            "plan price",
            "unit price",
            "unit amount",
            "total",
            "value",
            "recurring amount",
            "subscription amount",
            "fee",
        ],
    ),
    req(
        "start_date",
        T::Date,
        "First day the subscription is active.",
        &[
            "start",
            "start date",
            "started",
            "started at",
            "start_at",
            "started on",
            "subscription start",
            "current period start",
            "created",
            "created at",
            "activated at",
        ],
    ),
    opt(
        "end_date",
        T::Date,
        "First day it is no longer active; empty while it runs.",
        &[
            "end",
            "end date",
            "ended",
            "ended at",
            "ended on",
            "ends at",
            "cancel date",
            "canceled at",
            "cancelled at",
            "cancellation date",
            "churn date",
            "subscription end",
        ],
    ),
    opt(
        "interval",
        T::Interval,
        "How often it bills: day, week, month, quarter or year (month when empty).",
        &[
            "interval",
            "billing interval",
            "billing period",
            "billing cycle",
            "frequency",
            "plan interval",
            "period",
            "billing frequency",
        ],
    ),
    opt(
        "interval_count",
        T::Integer,
        "Intervals per bill: 6 with month bills every 6 months (1 when empty).",
        &["interval count", "plan interval count", "every"],
    ),
    opt(
        "plan",
        T::Text,
        "Plan or product, for filters.",
        &["plan", "plan name", "product", "tier", "plan id", "package"],
    ),
    AMOUNT_CURRENCY,
    opt(
        "quantity",
        T::Number,
        "Seats or units the amount is multiplied by (1 when empty).",
        &["quantity", "qty", "seats", "units", "licenses"],
    ),
    opt(
        "discount_pct",
        T::Percent,
        "Discount in percent (0 to 100) taken off the amount.",
        &[
            "discount",
            "discount pct",
            "discount percent",
            "discount %",
            "discount_percent",
            "percent off",
            "coupon percent",
        ],
    ),
    opt(
        "status",
        T::Text,
        "Status in the billing system; past-due ones count until the grace period ends.",
        &["status", "state", "subscription status"],
    ),
    opt(
        "subscription_id",
        T::Id,
        "The subscription's own id, to tell a customer's subscriptions apart.",
        &["subscription", "subscription id", "sub id", "sub_id"],
    ),
];

static TRANSACTIONS: &[FieldSpec] = &[
    req("customer_id", T::Id, "Who paid. Ids stay text: 00123 and 123 are different customers.", CUSTOMER_ID),
    req(
        "date",
        T::Date,
        "Day of the invoice or payment; without a service period, its month carries the MRR.",
        &[
            "date",
            "invoice date",
            "transaction date",
            "created",
            "created at",
            "created date",
            "paid at",
            "payment date",
            "order date",
            "charge date",
            "posted at",
            "timestamp",
        ],
    ),
    req(
        "amount",
        T::Money,
        "Amount charged; refunds are revenue but never move MRR.",
        &[
            "amount",
            "total",
            "amount paid",
            "price",
            "value",
            "invoice total",
            "gross",
            "revenue",
            "sales",
            "amount due",
            "net amount",
            "dollars",
            "charge amount",
        ],
    ),
    AMOUNT_CURRENCY,
    opt(
        "period_start",
        T::Date,
        "First day of the service period the charge pays for.",
        &["period start", "service period start", "service start", "line item period start", "from"],
    ),
    opt(
        "period_end",
        T::Date,
        "End of that service period.",
        &["period end", "service period end", "service end", "line item period end", "to"],
    ),
    opt(
        "type",
        T::TransactionType,
        "charge or refund (charge when empty).",
        &["type", "transaction type", "kind", "charge type", "txn type"],
    ),
    opt(
        "invoice_id",
        T::Id,
        "The invoice's or payment's own id.",
        &["invoice", "invoice id", "invoice number", "invoice no", "transaction id", "charge id", "receipt", "number"],
    ),
];

static CUSTOMERS: &[FieldSpec] = &[
    req("customer_id", T::Id, "The customer, with the id its billing rows use.", CUSTOMER_ID),
    opt(
        "name",
        T::Text,
        "Customer or company name.",
        &["name", "customer name", "company", "company name", "full name"],
    ),
    opt(
        "signup_date",
        T::Date,
        "When the customer signed up; cohorts can start from it.",
        &[
            "signup",
            "signup date",
            "signed up",
            "signed up at",
            "sign up date",
            "created",
            "created at",
            "join date",
            "joined",
            "registration date",
            "customer since",
        ],
    ),
    opt("segment", T::Text, "Segment, for filters.", &["segment", "customer segment", "tier", "size", "industry"]),
    opt("plan", T::Text, "Plan, for filters.", &["plan", "plan name", "product", "package"]),
    opt("country", T::Text, "Country, for filters.", &["country", "country code", "nation", "region"]),
    opt(
        "owner",
        T::Text,
        "Account owner or customer success manager.",
        &["owner", "account owner", "csm", "account manager", "rep"],
    ),
    opt(
        "churned",
        T::Flag,
        "Churn as your data records it: yes/no, or the churn date (provided churn).",
        &["churn", "churned", "is churned", "has churned", "churn flag", "exited"],
    ),
    opt(
        "churn_date",
        T::Date,
        "When the customer churned.",
        &["churn date", "churned at", "churned on", "cancel date", "cancelled at"],
    ),
];

static ORDERS: &[FieldSpec] = &[
    req(
        "order_id",
        T::Id,
        "The store's order id; matched to analytics ignoring case, spaces and a leading #.",
        &["order", "order id", "order number", "order no", "order name", "name", "id"],
    ),
    req(
        "date",
        T::Date,
        "Day the order was placed.",
        &["date", "order date", "created", "created at", "processed at", "date created", "placed at"],
    ),
    req(
        "total",
        T::Money,
        "Order total.",
        &["total", "order total", "total price", "amount", "grand total", "value", "revenue"],
    ),
    opt("currency", T::Currency, "3-letter code of the total; empty means the reporting currency.", CURRENCY),
    opt(
        "payment_method",
        T::Text,
        "Payment method or gateway.",
        &["payment method", "payment", "gateway", "payment gateway", "payment method title", "tender"],
    ),
    opt("status", T::Text, "Order status in the store.", &["status", "order status", "financial status", "state"]),
    opt("customer_id", T::Id, "The customer who ordered.", CUSTOMER_ID),
];

static PURCHASES: &[FieldSpec] = &[
    req(
        "transaction_id",
        T::Id,
        "The purchase's transaction id in analytics (the store's order id).",
        &["transaction", "transaction id", "transactionid", "order id", "order", "ecommerce transaction id"],
    ),
    req("date", T::Date, "Day of the purchase event.", &["date", "event date", "purchase date", "day"]),
    req(
        "revenue",
        T::Money,
        "Purchase revenue.",
        &[
            "revenue",
            "purchase revenue",
            "purchaserevenue",
            "total revenue",
            "value",
            "ecommerce revenue",
            "amount",
            "total",
        ],
    ),
    opt("currency", T::Currency, "3-letter code of the revenue; empty means the reporting currency.", CURRENCY),
    opt(
        "source_medium",
        T::Text,
        "Traffic source / medium of the session.",
        &["source medium", "source / medium", "sessionsourcemedium", "session source medium", "source", "channel"],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoices_is_an_alias_of_transactions() {
        assert_eq!("invoices".parse::<DatasetKind>().unwrap(), DatasetKind::Transactions);
        assert!("widgets".parse::<DatasetKind>().is_err());
    }

    #[test]
    fn every_kind_lists_required_fields_first_and_names_once() {
        for kind in DatasetKind::ALL {
            let fields = kind.fields();
            let first_optional = fields.iter().position(|f| !f.required).unwrap_or(fields.len());
            assert!(fields[first_optional..].iter().all(|f| !f.required), "{kind}");
            let mut names: Vec<_> = fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), fields.len(), "{kind}");
        }
    }

    #[test]
    fn every_field_says_what_it_means() {
        for kind in DatasetKind::ALL {
            for field in kind.fields() {
                assert!(field.meaning.ends_with('.') && field.meaning.len() > 10, "{kind:?}.{}", field.name);
            }
        }
    }
}

//! The revenue model: the datasets read once into per-customer step functions, from
//! which every table is a cheap pass.

use polars::prelude::LazyFrame;
use revlens_model::DatasetKind;
use serde::Serialize;

use super::currency::{Converter, FxRates};
use super::customers::{Profiles, CUSTOMER_COLUMNS};
use super::error::{MetricsError, MetricsResult};
use super::input::{distinct_currencies, ColumnType, CustomerIds, TableReader};
use super::ledger::MrrLedger;
use super::month::{MonthRange, YearMonth};
use super::purchases::{CustomerTransactions, PurchaseLedger};
use super::settings::MetricSettings;
use super::side_by_side::side_by_side;
use super::spans::{read_transactions, subscription_dates, subscription_spans, Span, TransactionMrr};
use crate::table::ColumnFacts;

/// The billing table metrics are computed from, as a canonical frame (see
/// [`crate::table`]): every canonical column of its kind; absent optional columns read
/// as empty.
pub enum BillingData {
    Subscriptions(LazyFrame),
    /// Invoices or transactions.
    Transactions(LazyFrame),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingKind {
    Subscriptions,
    Transactions,
}

/// How the billing rows become the MRR and purchase ledgers.
enum Grouping {
    /// MRR from spans; a transactions table's purchases grouped beside it.
    Spans { spans: Vec<Span>, transactions: Option<CustomerTransactions> },
    /// MRR summed in the same pass that groups the purchases.
    MonthlyCharges(CustomerTransactions),
}

/// A model under one set of query-time settings; its methods compute the tables.
#[derive(Debug, Clone)]
pub struct ModelView<'a> {
    pub(crate) model: &'a RevenueModel,
    pub(crate) settings: MetricSettings,
}

impl ModelView<'_> {
    pub fn settings(&self) -> &MetricSettings {
        &self.settings
    }

    /// The months the tables cover under these settings (an error naming the data's
    /// range when they leave it).
    pub fn report_range(&self) -> MetricsResult<MonthRange> {
        self.model.range_for(&self.settings)
    }

    pub fn as_of_month(&self) -> MetricsResult<YearMonth> {
        self.model.as_of_month_for(&self.settings)
    }
}

/// Everything a metric may read.
pub struct MetricInputs {
    pub billing: BillingData,
    /// What the billing table's file proves about its columns ([`ColumnFacts::of_table`]).
    pub billing_facts: ColumnFacts,
    /// The canonical customers table: signup_date for cohorts, churned/churn_date for
    /// provided churn.
    pub customers: Option<LazyFrame>,
    /// Rates into the reporting currency; needed when the data has other currencies.
    pub rates: Option<FxRates>,
}

impl MetricInputs {
    fn of(billing: BillingData) -> Self {
        MetricInputs { billing, billing_facts: ColumnFacts::default(), customers: None, rates: None }
    }

    pub fn subscriptions(frame: LazyFrame) -> Self {
        Self::of(BillingData::Subscriptions(frame))
    }

    pub fn transactions(frame: LazyFrame) -> Self {
        Self::of(BillingData::Transactions(frame))
    }

    /// The inputs for a billing dataset of `kind`; only subscriptions and transactions
    /// (invoices) carry revenue metrics.
    pub fn for_kind(kind: DatasetKind, frame: LazyFrame) -> MetricsResult<Self> {
        match kind {
            DatasetKind::Subscriptions => Ok(Self::subscriptions(frame)),
            DatasetKind::Transactions => Ok(Self::transactions(frame)),
            other => Err(MetricsError::InvalidSetting(format!(
                "revenue metrics need a subscriptions or transactions (invoices) dataset, not {other}"
            ))),
        }
    }

    /// Facts of the file the billing frame reads (or a selection of its rows), so that
    /// columns of one value are not decoded.
    pub fn with_billing_facts(mut self, facts: ColumnFacts) -> Self {
        self.billing_facts = facts;
        self
    }

    pub fn with_customers(mut self, customers: LazyFrame) -> Self {
        self.customers = Some(customers);
        self
    }

    pub fn with_rates(mut self, rates: FxRates) -> Self {
        self.rates = Some(rates);
        self
    }
}

const SUBSCRIPTION_REQUIRED: [(&str, ColumnType); 3] =
    [("customer_id", ColumnType::Text), ("amount", ColumnType::Int), ("start_date", ColumnType::Date)];
const SUBSCRIPTION_OPTIONAL: [(&str, ColumnType); 7] = [
    ("end_date", ColumnType::Date),
    ("interval", ColumnType::Text),
    ("interval_count", ColumnType::Int),
    ("currency", ColumnType::Text),
    ("quantity", ColumnType::Float),
    ("discount_pct", ColumnType::Float),
    ("status", ColumnType::Text),
];

/// Built once per dataset versions and model settings; every table is then a pass over
/// it. Cache it under [`MetricSettings::model_key`] plus the dataset version ids (and
/// the rates' fingerprint), and query other months through [`RevenueModel::with_settings`];
/// cache finished tables under [`MetricSettings::cache_key`].
#[derive(Debug)]
pub struct RevenueModel {
    pub(crate) kind: BillingKind,
    pub(crate) names: Vec<String>,
    pub(crate) ledger: MrrLedger,
    /// Transactional data only.
    pub(crate) purchases: Option<PurchaseLedger>,
    pub(crate) profiles: Option<Profiles>,
    /// Customers with at least one billing row (ids are interned billing rows first).
    pub(crate) billed_customers: usize,
    pub(crate) data_range: MonthRange,
    /// The latest event date in the billing data (Date32).
    pub(crate) last_day: i32,
    pub(crate) reporting_currency: Option<String>,
    pub(crate) settings: MetricSettings,
}

impl RevenueModel {
    pub fn build(inputs: MetricInputs, settings: &MetricSettings) -> MetricsResult<Self> {
        settings.validate()?;
        let mut ids = CustomerIds::default();
        let rates = inputs.rates.as_ref();
        let facts = &inputs.billing_facts;
        let (kind, converter, (first_day, last_day), grouping) = match inputs.billing {
            BillingData::Subscriptions(frame) => {
                let reader = TableReader::collect(
                    frame,
                    "subscriptions",
                    &SUBSCRIPTION_REQUIRED,
                    &SUBSCRIPTION_OPTIONAL,
                    facts,
                )?;
                let currencies = distinct_currencies(&reader.text("currency")?);
                let converter = Converter::new(settings.reporting_currency.as_deref(), rates, &currencies)?;
                let (first_day, last_day) = subscription_dates(&reader)?.get().ok_or(MetricsError::NoData)?;
                let spans = subscription_spans(&reader, &mut ids, &converter, settings, last_day)?;
                let grouping = Grouping::Spans { spans, transactions: None };
                (BillingKind::Subscriptions, converter, (first_day, last_day), grouping)
            }
            BillingData::Transactions(frame) => {
                let table = read_transactions(frame, facts, &mut ids, rates, settings)?;
                let grouping = match table.mrr {
                    TransactionMrr::Spans(spans) => Grouping::Spans { spans, transactions: Some(table.rows) },
                    TransactionMrr::MonthlyCharges => Grouping::MonthlyCharges(table.rows),
                };
                (BillingKind::Transactions, table.converter, (table.first_day, table.last_day), grouping)
            }
        };
        // The table was freed once read, before the grouping passes allocate.
        let billed_customers = ids.len();
        let read_profiles = |mut ids: CustomerIds| {
            let profiles = match inputs.customers {
                Some(frame) => {
                    let reader = TableReader::collect(
                        frame,
                        "customers",
                        &[("customer_id", ColumnType::Text)],
                        &CUSTOMER_COLUMNS,
                        &ColumnFacts::default(),
                    )?;
                    Some(Profiles::read(&reader, &mut ids)?)
                }
                None => None,
            };
            Ok::<_, MetricsError>((profiles, ids.into_names()))
        };
        // The ledgers are independent passes over memory: the purchases on a second
        // thread while this one reads the customers and builds the MRR ledger from the
        // spans — or, without spans, the purchases' pass builds it too. The rows are freed
        // once grouped.
        let (purchases, ledger, profiles, names) = match grouping {
            Grouping::Spans { spans, transactions } => {
                let group = move || transactions.map(|rows| PurchaseLedger::from_transactions(billed_customers, rows));
                let (purchases, built) = side_by_side("purchases", group, || {
                    let (profiles, names) = read_profiles(ids)?;
                    let ledger = MrrLedger::build(names.len(), spans);
                    Ok::<_, MetricsError>((profiles, names, ledger))
                });
                let (profiles, names, ledger) = built?;
                (purchases, ledger, profiles, names)
            }
            Grouping::MonthlyCharges(rows) => {
                let group = move || PurchaseLedger::with_monthly_mrr(billed_customers, rows);
                let ((purchases, ledger), built) = side_by_side("purchases", group, || read_profiles(ids));
                let (profiles, names) = built?;
                (Some(purchases), ledger, profiles, names)
            }
        };
        let ledger = ledger.extended_to(names.len());
        Ok(RevenueModel {
            kind,
            names,
            ledger,
            purchases,
            profiles,
            billed_customers,
            data_range: MonthRange {
                first: YearMonth::of_epoch_day(first_day),
                last: YearMonth::of_epoch_day(last_day),
            },
            last_day,
            reporting_currency: converter.reporting_currency().map(str::to_string),
            settings: settings.clone(),
        })
    }

    pub fn kind(&self) -> BillingKind {
        self.kind
    }

    /// The months the billing data covers: from its earliest to its latest date.
    pub fn data_range(&self) -> MonthRange {
        self.data_range
    }

    /// The currency every amount is reported in (`None`: the data names none).
    pub fn reporting_currency(&self) -> Option<&str> {
        self.reporting_currency.as_deref()
    }

    pub fn settings(&self) -> &MetricSettings {
        &self.settings
    }

    /// A view of this model under other query-time settings (from, to, as-of, churn
    /// inactivity days, gross margin) — no rebuild, and the model can stay shared
    /// behind an `Arc` in a cache. An error when `settings` would change the model
    /// itself (its [`MetricSettings::model_key`] differs): build a new model then.
    pub fn with_settings(&self, settings: &MetricSettings) -> MetricsResult<ModelView<'_>> {
        settings.validate()?;
        if settings.model_key() != self.settings.model_key() {
            return Err(MetricsError::InvalidSetting(
                "currency, invoice interval, past-due grace or discount handling changed: build a new model".into(),
            ));
        }
        Ok(ModelView { model: self, settings: settings.clone() })
    }

    /// The model of the customers `keep` accepts (by customer id), without reading or
    /// building again: a dashboard filter on customer attributes. The data's range stays
    /// the whole data's, so a filtered chart keeps the same months. An error when no
    /// customer is kept.
    pub fn restricted_to(&self, keep: impl Fn(&str) -> bool) -> MetricsResult<RevenueModel> {
        let kept: Vec<u32> = (0..self.customer_count()).filter(|&c| keep(self.name(c))).collect();
        if kept.is_empty() {
            return Err(MetricsError::NoData);
        }
        // Billed customers keep their place before the others (ids are interned billing first).
        let billed = kept.partition_point(|&c| (c as usize) < self.billed_customers);
        Ok(RevenueModel {
            kind: self.kind,
            names: kept.iter().map(|&c| self.name(c).to_string()).collect(),
            ledger: self.ledger.select(&kept),
            purchases: self.purchases.as_ref().map(|p| p.select(&kept[..billed])),
            profiles: self.profiles.as_ref().map(|p| Profiles {
                by_customer: kept.iter().map(|&c| p.get(c).copied()).collect(),
                has_churn_column: p.has_churn_column,
            }),
            billed_customers: billed,
            data_range: self.data_range,
            last_day: self.last_day,
            reporting_currency: self.reporting_currency.clone(),
            settings: self.settings.clone(),
        })
    }

    /// The view under the settings the model was built with.
    pub fn view(&self) -> ModelView<'_> {
        ModelView { model: self, settings: self.settings.clone() }
    }

    /// The months of the tables: the settings' from/to, defaulting to the data's range;
    /// an error naming the data's range when the request leaves it.
    pub(crate) fn range_for(&self, settings: &MetricSettings) -> MetricsResult<MonthRange> {
        let first = settings.from.unwrap_or(self.data_range.first);
        let last = settings.to.unwrap_or(self.data_range.last);
        if first > last {
            return Err(MetricsError::InvertedRange { from: first, to: last });
        }
        if first < self.data_range.first || last > self.data_range.last {
            return Err(MetricsError::RangeOutsideData {
                requested: format!("{first} to {last}"),
                available: self.data_range,
            });
        }
        Ok(MonthRange { first, last })
    }

    /// The month churn is judged at: the as-of setting, or the data's last month.
    pub(crate) fn as_of_month_for(&self, settings: &MetricSettings) -> MetricsResult<YearMonth> {
        let month = settings.as_of.unwrap_or(self.data_range.last);
        self.check_month(month)?;
        Ok(month)
    }

    pub(crate) fn check_month(&self, month: YearMonth) -> MetricsResult<()> {
        if self.data_range.contains(month) {
            Ok(())
        } else {
            Err(MetricsError::MonthOutsideData { month, available: self.data_range })
        }
    }

    pub(crate) fn name(&self, customer: u32) -> &str {
        self.names.get(customer as usize).map_or("", String::as_str)
    }

    pub(crate) fn customer_count(&self) -> u32 {
        self.names.len() as u32
    }
}

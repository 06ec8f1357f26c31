use revlens_engine::metrics::{CohortOptions, DiscountHandling, MetricSettings, YearMonth};
use revlens_service::{DataSource, MetricQuery, MetricsRequest, Service};

use crate::cli::{MetricArgs, MetricsCommand};

pub fn run(service: &mut Service, workspace: Option<&str>, command: MetricsCommand) -> anyhow::Result<()> {
    let (data, query) = match command {
        MetricsCommand::Mrr(data) => (data, MetricQuery::Mrr),
        MetricsCommand::Kpis(data) => (data, MetricQuery::Kpis),
        MetricsCommand::Cohorts { data, basis, cohort_by } => {
            (data, MetricQuery::Cohorts(CohortOptions { basis, by: cohort_by, activity: None }))
        }
        MetricsCommand::TopCustomers { data, month, limit } => (data, MetricQuery::TopCustomers { month, limit }),
    };
    print(service, workspace, data, None, &query)
}

pub fn churn(
    service: &mut Service,
    workspace: Option<&str>,
    data: MetricArgs,
    as_of: Option<YearMonth>,
) -> anyhow::Result<()> {
    print(service, workspace, data, as_of, &MetricQuery::Churn)
}

fn print(
    service: &mut Service,
    workspace: Option<&str>,
    data: MetricArgs,
    as_of: Option<YearMonth>,
    query: &MetricQuery,
) -> anyhow::Result<()> {
    let format = data.format;
    let request = request(workspace, data, as_of)?;
    let text = service.metric(&request, query, format)?;
    outln!("{}", text.trim_end());
    Ok(())
}

fn request(workspace: Option<&str>, data: MetricArgs, as_of: Option<YearMonth>) -> anyhow::Result<MetricsRequest> {
    let defaults = MetricSettings::default();
    let settings = MetricSettings {
        reporting_currency: data.currency.map(|c| c.trim().to_ascii_uppercase()),
        invoice_interval: data.invoice_interval.unwrap_or(defaults.invoice_interval),
        churn_inactivity_days: data.churn_days.unwrap_or(defaults.churn_inactivity_days),
        gross_margin_pct: data.gross_margin.unwrap_or(defaults.gross_margin_pct),
        past_due_grace_days: data.past_due_grace_days,
        discounts: if data.ignore_discounts { DiscountHandling::Ignore } else { DiscountHandling::Apply },
        from: data.from,
        to: data.to,
        as_of,
    };
    let billing = match (data.file, data.dataset) {
        (Some(file), _) => DataSource::File(file),
        (None, Some(dataset)) => DataSource::Dataset(dataset),
        (None, None) => anyhow::bail!("give a FILE or --dataset ID to compute from"),
    };
    let customers = match (data.customers, data.customers_dataset) {
        (Some(file), _) => Some(DataSource::File(file)),
        (None, Some(dataset)) => Some(DataSource::Dataset(dataset)),
        (None, None) => None,
    };
    Ok(MetricsRequest {
        workspace: workspace.map(str::to_owned),
        billing,
        kind: data.kind,
        customers,
        rates: data.rates,
        settings,
    })
}

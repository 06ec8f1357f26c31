use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use revlens_engine::metrics::{BillingInterval, CohortBasis, CohortBy, OutputFormat, YearMonth};
use revlens_model::DatasetKind;

#[derive(Debug, Parser)]
#[command(name = "revlens", version, about = "RevLens: revenue and customer analytics, offline.")]
pub struct Cli {
    /// Where the store lives [default: the OS data directory]
    #[arg(long, global = true, env = "REVLENS_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Workspace to work in [default: "Default"]
    #[arg(long, short = 'w', global = true, env = "REVLENS_WORKSPACE", value_name = "NAME")]
    pub workspace: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a CSV/TSV/delimited text or XLSX/XLS/ODS file as a dataset version
    Import(ImportArgs),
    /// Show what would be imported: detected format, header, sample rows and mapping
    Inspect(InspectArgs),
    /// Create the demo workspace "Demo SaaS" from bundled sample data
    Demo(FormatArgs),
    /// List the datasets of the workspace
    Datasets(FormatArgs),
    /// Show, inspect or delete one dataset
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Saved column mappings
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Workspaces (one per company or client)
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Reporting periods (C1, C2 … or 2025-Q1) that dataset versions can be pinned to
    #[command(subcommand)]
    Period(PeriodCommand),
    /// Revenue metrics: MRR and movements, KPIs, cohorts, top customers
    #[command(subcommand)]
    Metrics(MetricsCommand),
    /// Sync the workspace with a RevLens sync server (team sharing)
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Read-only, expiring share links to synced objects
    #[command(subcommand)]
    Share(ShareCommand),
    /// Serve the app's UI and commands on http://127.0.0.1:PORT (the desktop app in a browser)
    Serve(ServeArgs),
    /// Churn per customer: provided or computed, with the reason
    Churn {
        #[command(flatten)]
        data: MetricArgs,
        /// The month whose end churn is judged at [default: the data's last month]
        #[arg(long, value_name = "YYYY-MM")]
        as_of: Option<YearMonth>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1; 0 picks a free one (the line printed at start names it)
    #[arg(long, default_value_t = 4777)]
    pub port: u16,
    /// The built UI (ui/dist) [default: the repository's ui/dist]
    #[arg(long, env = "REVLENS_UI_DIR", value_name = "DIR")]
    pub ui_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// month,mrr,arr,customers,new,expansion,contraction,churn,reactivation
    Mrr(MetricArgs),
    /// month,arpa,logo_churn_rate,revenue_churn_rate,nrr_12m,grr_12m,quick_ratio,ltv
    Kpis(MetricArgs),
    /// cohort,size,m0,…,mN: logo or revenue retention
    Cohorts {
        #[command(flatten)]
        data: MetricArgs,
        #[arg(long, default_value = "logo", value_parser = parse_from_str::<CohortBasis>)]
        basis: CohortBasis,
        #[arg(long, default_value = "first-paid", value_parser = parse_from_str::<CohortBy>)]
        cohort_by: CohortBy,
    },
    /// The customers with the most MRR in a month
    TopCustomers {
        #[command(flatten)]
        data: MetricArgs,
        #[arg(long, value_name = "YYYY-MM")]
        month: YearMonth,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
}

/// Where a metric's data comes from and the settings it is computed with.
#[derive(Debug, Args)]
pub struct MetricArgs {
    /// A file to compute from (imported into a temporary store)
    #[arg(required_unless_present = "dataset", conflicts_with = "dataset")]
    pub file: Option<PathBuf>,
    /// A stored dataset (id, id prefix or name) to compute from
    #[arg(long, value_name = "ID")]
    pub dataset: Option<String>,
    /// subscriptions or transactions (invoices)
    #[arg(long, value_parser = parse_kind)]
    pub kind: DatasetKind,
    /// A customers file (signup cohorts, provided churn)
    #[arg(long, value_name = "FILE", conflicts_with = "customers_dataset")]
    pub customers: Option<PathBuf>,
    /// A stored customers dataset
    #[arg(long, value_name = "ID")]
    pub customers_dataset: Option<String>,
    /// First month [default: the data's first]
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<YearMonth>,
    /// Last month [default: the data's last]
    #[arg(long, value_name = "YYYY-MM")]
    pub to: Option<YearMonth>,
    /// Reporting currency (ISO code) [default: the data's single currency]
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Exchange rates: a CSV of month,currency,rate into the reporting currency
    #[arg(long, value_name = "FILE")]
    pub rates: Option<PathBuf>,
    /// Service period assumed for invoices without one, e.g. month, year, "6 months"
    #[arg(long, value_parser = parse_from_str::<BillingInterval>)]
    pub invoice_interval: Option<BillingInterval>,
    /// Transactions: days without a purchase after which a customer has churned
    #[arg(long, value_name = "DAYS")]
    pub churn_days: Option<u32>,
    /// Gross margin in percent, for LTV
    #[arg(long, value_name = "PCT")]
    pub gross_margin: Option<f64>,
    /// Days a past-due subscription still counts [default: until it ends]
    #[arg(long, value_name = "DAYS")]
    pub past_due_grace_days: Option<u32>,
    /// Ignore discount_pct: MRR at list price
    #[arg(long)]
    pub ignore_discounts: bool,
    #[arg(long, default_value = "table", value_parser = parse_from_str::<OutputFormat>)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The file to read
    pub file: PathBuf,
    /// subscriptions, transactions (or invoices), customers, orders, purchases
    #[arg(long, value_parser = parse_kind)]
    pub kind: DatasetKind,
    /// Sheet name or 1-based number (workbooks) [default: the first]
    #[arg(long)]
    pub sheet: Option<String>,
    /// Field delimiter (text files) [default: detected among , ; tab |]
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<char>,
    /// A saved mapping's name, or a JSON file {"field": "Header", …} correcting the suggestion
    #[arg(long, value_name = "NAME|FILE.json")]
    pub mapping: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Dataset name [default: the file name without extension]
    #[arg(long)]
    pub name: Option<String>,
    /// Import the valid rows and keep the invalid ones, with reasons, for later
    #[arg(long)]
    pub skip_invalid: bool,
    /// Save the mapping used under this name; files with the same header reuse it
    #[arg(long, value_name = "NAME")]
    pub save_mapping: Option<String>,
    /// Pin the new version to this reporting period
    #[arg(long, value_name = "NAME")]
    pub period: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// A dataset and its versions
    Show {
        /// Dataset id, unique id prefix, or name
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The rows an import skipped, with the reasons
    Skipped {
        id: String,
        /// Version number [default: the latest]
        #[arg(long)]
        version: Option<u32>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Delete a dataset (every version), or one version of it
    Rm {
        id: String,
        #[arg(long)]
        version: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    List(FormatArgs),
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    Rm {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Sign the workspace in to a sync server org: with email and password (read from stdin),
    /// or with the org's single sign-on in the browser (--oidc)
    Login {
        /// The server, e.g. https://sync.example.com
        #[arg(long, env = "REVLENS_SYNC_SERVER", value_name = "URL")]
        server: String,
        #[arg(long, required_unless_present = "oidc", conflicts_with = "oidc")]
        email: Option<String>,
        /// The org's name or id [default: the user's only org]; with --oidc, the org's id
        #[arg(long, required_if_eq("oidc", "true"))]
        org: Option<String>,
        /// Read the password from stdin without a prompt (for scripts)
        #[arg(long, conflicts_with = "oidc")]
        password_stdin: bool,
        /// Sign in with the org's single sign-on (OIDC) in the browser instead of a password
        #[arg(long)]
        oidc: bool,
        /// With --oidc: print the sign-in URL but do not open a browser
        #[arg(long, env = "REVLENS_NO_BROWSER", requires = "oidc")]
        no_browser: bool,
        /// With --oidc: seconds to wait for the browser to come back
        #[arg(long, default_value_t = 300, value_name = "SECS", requires = "oidc")]
        timeout: u64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Server, org, pending edits and cookie (no network)
    Status(FormatArgs),
    /// Send the pending local edits
    Push(FormatArgs),
    /// Fetch the changes since the last pull
    Pull(FormatArgs),
    /// Sign out: end the session on the server and delete the tokens from the keychain
    Logout,
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Create a read-only link to a saved mapping (pushed first)
    Create {
        /// The mapping's name
        #[arg(long, value_name = "NAME")]
        mapping: String,
        /// Days until the link expires (1 to 366)
        #[arg(long, default_value_t = 7)]
        days: u32,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The org's share links
    List(FormatArgs),
    /// Revoke a share link by id
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    List(FormatArgs),
    Create {
        name: String,
    },
    Rename {
        name: String,
        new_name: String,
    },
    /// Delete a workspace with all its datasets
    Rm {
        name: String,
        /// Confirm the deletion
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PeriodCommand {
    List(FormatArgs),
    Create {
        name: String,
        /// First day (YYYY-MM-DD)
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (YYYY-MM-DD)
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
    Rm {
        name: String,
    },
    /// Pin a dataset version to a period
    Pin {
        dataset: String,
        period: String,
        /// Version number [default: the latest]
        #[arg(long)]
        version: Option<u32>,
    },
}

fn parse_kind(text: &str) -> Result<DatasetKind, String> {
    text.parse().map_err(|e: revlens_model::ParseKindError| e.to_string())
}

fn parse_from_str<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| e.to_string())
}

fn parse_delimiter(text: &str) -> Result<char, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok('\t'),
        _ => {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(format!("expected one character or 'tab', not '{text}'")),
            }
        }
    }
}

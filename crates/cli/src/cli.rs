use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
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

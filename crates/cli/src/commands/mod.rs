mod datasets;
mod import;
mod mappings;
mod metrics;
mod periods;
mod serve;
mod share;
mod sync;
mod workspaces;

use std::path::PathBuf;

use anyhow::Context;
use revlens_service::Service;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    select_keyring()?;
    let home = home_dir(cli.home)?;
    let mut service =
        Service::open(&home).with_context(|| format!("cannot open the RevLens store at {}", home.display()))?;
    let workspace = cli.workspace.as_deref();
    match cli.command {
        Command::Import(args) => import::import(&mut service, workspace, args),
        Command::Inspect(args) => import::inspect(&service, workspace, args),
        Command::Demo(args) => {
            let demo = service.create_demo_workspace()?;
            datasets::list(&service, Some(&demo.name), args.format)
        }
        Command::Datasets(args) => datasets::list(&service, workspace, args.format),
        Command::Dataset(command) => datasets::run(&mut service, workspace, command),
        Command::Mapping(command) => mappings::run(&service, workspace, command),
        Command::Workspace(command) => workspaces::run(&service, command),
        Command::Period(command) => periods::run(&service, workspace, command),
        Command::Metrics(command) => metrics::run(&mut service, workspace, command),
        Command::Sync(command) => sync::run(&service, workspace, command),
        Command::Share(command) => share::run(&service, workspace, command),
        Command::Churn { data, as_of } => metrics::churn(&mut service, workspace, data, as_of),
        Command::Serve(args) => {
            drop(service);
            serve::serve(&home, args)
        }
    }
}

fn home_dir(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match flag {
        Some(home) => Ok(home),
        None => directories::ProjectDirs::from("", "", "RevLens")
            .map(|dirs| dirs.data_dir().to_owned())
            .context("no home directory to keep the store in; pass --home DIR or set REVLENS_HOME"),
    }
}

/// Tokens go to the OS keychain. `REVLENS_KEYRING=mock-file:<path>` is for end-to-end tests
/// only: it keeps them in a 0600 file instead, so separate runs of the CLI share them.
fn select_keyring() -> anyhow::Result<()> {
    match std::env::var_os("REVLENS_KEYRING") {
        None => Ok(()),
        Some(value) => {
            let value = value.to_string_lossy().into_owned();
            match value.strip_prefix("mock-file:") {
                Some(path) if !path.is_empty() => {
                    revlens_service::secrets::use_file_keyring(std::path::Path::new(path));
                    Ok(())
                }
                _ => anyhow::bail!("REVLENS_KEYRING must be unset (the OS keychain) or mock-file:<path> (tests only)"),
            }
        }
    }
}

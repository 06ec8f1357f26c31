use anyhow::bail;
use revlens_service::Service;

use crate::cli::{Format, PeriodCommand};
use crate::output::{print_json, print_table};

pub fn run(service: &Service, workspace: Option<&str>, command: PeriodCommand) -> anyhow::Result<()> {
    let workspace = service.workspace(workspace)?;
    let store = service.store();
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    match command {
        PeriodCommand::List(args) => {
            let periods = store.periods(workspace.id)?;
            match args.format {
                Format::Json => print_json(&periods),
                Format::Text => {
                    let rows: Vec<Vec<String>> =
                        periods.iter().map(|p| vec![p.name.clone(), day(p.starts_on), day(p.ends_on)]).collect();
                    print_table(&["NAME", "FROM", "TO"], &rows);
                    Ok(())
                }
            }
        }
        PeriodCommand::Create { name, from, to } => {
            let period = store.create_period(workspace.id, &name, from, to)?;
            outln!("Created period '{}'.", period.name);
            Ok(())
        }
        PeriodCommand::Rm { name } => {
            store.delete_period(workspace.id, &name)?;
            outln!("Deleted period '{name}'; versions pinned to it are unpinned.");
            Ok(())
        }
        PeriodCommand::Pin { dataset, period, version } => {
            let dataset = store.resolve_dataset(workspace.id, &dataset)?;
            let period = store.period(workspace.id, &period)?;
            let Some(target) = (match version {
                Some(n) => dataset.versions.iter().find(|v| v.version == n),
                None => dataset.latest(),
            }) else {
                bail!("'{}' has no version {}", dataset.name, version.unwrap_or(0));
            };
            store.pin_version(target.id, Some(period.id))?;
            outln!("Pinned version {} of '{}' to '{}'.", target.version, dataset.name, period.name);
            Ok(())
        }
    }
}

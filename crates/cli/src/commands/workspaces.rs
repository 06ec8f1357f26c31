use anyhow::bail;
use revlens_service::Service;

use crate::cli::{Format, WorkspaceCommand};
use crate::output::{print_json, print_table};

pub fn run(service: &Service, command: WorkspaceCommand) -> anyhow::Result<()> {
    let store = service.store();
    match command {
        WorkspaceCommand::List(args) => {
            service.workspace(None)?;
            let workspaces = store.workspaces()?;
            match args.format {
                Format::Json => print_json(&workspaces),
                Format::Text => {
                    let rows: Vec<Vec<String>> =
                        workspaces.iter().map(|w| vec![w.name.clone(), w.created_at.clone()]).collect();
                    print_table(&["NAME", "CREATED"], &rows);
                    Ok(())
                }
            }
        }
        WorkspaceCommand::Create { name } => {
            let workspace = store.create_workspace(&name)?;
            outln!("Created workspace '{}'.", workspace.name);
            Ok(())
        }
        WorkspaceCommand::Rename { name, new_name } => {
            let workspace = store.workspace(&name)?;
            store.rename_workspace(workspace.id, &new_name)?;
            outln!("Renamed '{}' to '{}'.", workspace.name, new_name.trim());
            Ok(())
        }
        WorkspaceCommand::Rm { name, yes } => {
            let workspace = store.workspace(&name)?;
            let datasets = store.datasets(workspace.id)?.len();
            if !yes {
                bail!(
                    "deleting '{}' deletes its {datasets} dataset(s) for good; run again with --yes to confirm",
                    workspace.name
                );
            }
            store.delete_workspace(workspace.id)?;
            outln!("Deleted workspace '{}' and its {datasets} dataset(s).", workspace.name);
            Ok(())
        }
    }
}

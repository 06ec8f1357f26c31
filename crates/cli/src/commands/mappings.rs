use revlens_service::Service;

use crate::cli::{Format, MappingCommand};
use crate::output::{print_json, print_table};

pub fn run(service: &Service, workspace: Option<&str>, command: MappingCommand) -> anyhow::Result<()> {
    let workspace = service.workspace(workspace)?;
    let store = service.store();
    match command {
        MappingCommand::List(args) => {
            let mappings = store.mappings(workspace.id)?;
            match args.format {
                Format::Json => print_json(&mappings),
                Format::Text => {
                    if mappings.is_empty() {
                        outln!("No saved mappings. Save one with: revlens import FILE --kind KIND --save-mapping NAME");
                        return Ok(());
                    }
                    let rows: Vec<Vec<String>> = mappings
                        .iter()
                        .map(|m| vec![m.name.clone(), m.kind.to_string(), m.updated_at.clone()])
                        .collect();
                    print_table(&["NAME", "KIND", "UPDATED"], &rows);
                    Ok(())
                }
            }
        }
        MappingCommand::Show { name, format } => {
            let mapping = store.mapping(workspace.id, &name)?;
            match format {
                Format::Json => print_json(&mapping),
                Format::Text => {
                    outln!("{} ({})", mapping.name, mapping.kind);
                    if let Some(fields) = mapping.fields.get("fields").and_then(|f| f.as_object()) {
                        for (field, header) in fields {
                            outln!("  {field:<16} <- {}", header.as_str().unwrap_or_default());
                        }
                    }
                    Ok(())
                }
            }
        }
        MappingCommand::Rm { name } => {
            store.delete_mapping(workspace.id, &name)?;
            outln!("Deleted mapping '{name}'.");
            Ok(())
        }
    }
}

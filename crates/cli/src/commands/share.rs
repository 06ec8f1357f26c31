use revlens_service::Service;

use crate::cli::{Format, ShareCommand};
use crate::output::{print_json, print_table};

pub fn run(service: &Service, workspace: Option<&str>, command: ShareCommand) -> anyhow::Result<()> {
    match command {
        ShareCommand::Create { mapping, days, format } => {
            let link = service.share_create(workspace, &mapping, days)?;
            match format {
                Format::Json => print_json(&link),
                Format::Text => {
                    outln!("{}", link.url);
                    outln!("Read-only link to mapping '{mapping}', id {}, expires {}.", link.id, link.expires_at);
                    Ok(())
                }
            }
        }
        ShareCommand::List(args) => {
            let links = service.share_list(workspace)?;
            match args.format {
                Format::Json => print_json(&links),
                Format::Text => {
                    if links.is_empty() {
                        outln!("No share links. Create one with: revlens share create --mapping NAME");
                        return Ok(());
                    }
                    let rows: Vec<Vec<String>> = links
                        .iter()
                        .map(|l| {
                            let state = if l.revoked_at.is_some() { "revoked" } else { "active" };
                            vec![
                                l.id.clone(),
                                l.kind.to_string(),
                                l.object_id.clone(),
                                l.expires_at.to_rfc3339(),
                                state.to_owned(),
                            ]
                        })
                        .collect();
                    print_table(&["ID", "KIND", "OBJECT", "EXPIRES", "STATE"], &rows);
                    Ok(())
                }
            }
        }
        ShareCommand::Revoke { id } => {
            service.share_revoke(workspace, &id)?;
            outln!("Revoked share link {id}.");
            Ok(())
        }
    }
}

//! Names of synced objects. A name is unique per workspace (and kind), but two clients can each
//! make an object of one name while offline, and both objects sync. Every store must then give
//! the same names whatever order the objects arrive in, or the clients never agree: of the
//! objects that ask for a name, the one with the smallest id gets it, and every other gets
//! `name (tail)`, `tail` being the last six hex digits of its own id. A row alone thus tells
//! which name it asked for, so a later arrival, edit or deletion settles the names again (the
//! next in line gets the plain name when its holder goes).

use rusqlite::{params, OptionalExtension, Transaction};

use revlens_model::WorkspaceId;

use crate::documents::DocumentKind;
use crate::Result;

/// The rows whose names are unique together.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Names {
    Mappings,
    Documents(DocumentKind),
}

fn tail(id: &str) -> String {
    let hex: Vec<char> = id.chars().filter(char::is_ascii_hexdigit).collect();
    hex[hex.len().saturating_sub(6)..].iter().collect()
}

/// The name a row asks for: its name without the suffix [`settle`] gave it.
pub(crate) fn asked_name<'a>(name: &'a str, id: &str) -> &'a str {
    name.strip_suffix(&format!(" ({})", tail(id))).unwrap_or(name)
}

/// A name no user can type (names are validated), held while names are moved around.
fn placeholder(id: &str) -> String {
    format!("\u{1}{id}")
}

impl Names {
    fn rows(self, tx: &Transaction<'_>, workspace: WorkspaceId) -> Result<Vec<(String, String)>> {
        let ws = workspace.to_string();
        let mut out = Vec::new();
        match self {
            Names::Mappings => {
                let mut stmt = tx.prepare("SELECT id, name FROM column_mappings WHERE workspace_id = ?1")?;
                for row in stmt.query_map([&ws], |r| Ok((r.get(0)?, r.get(1)?)))? {
                    out.push(row?);
                }
            }
            Names::Documents(kind) => {
                let mut stmt = tx.prepare("SELECT id, name FROM documents WHERE workspace_id = ?1 AND kind = ?2")?;
                for row in stmt.query_map(params![ws, kind.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))? {
                    out.push(row?);
                }
            }
        }
        Ok(out)
    }

    fn rename(self, tx: &Transaction<'_>, workspace: WorkspaceId, id: &str, name: &str) -> Result<()> {
        let ws = workspace.to_string();
        match self {
            Names::Mappings => tx.execute(
                "UPDATE column_mappings SET name = ?3 WHERE workspace_id = ?1 AND id = ?2",
                params![ws, id, name],
            )?,
            Names::Documents(kind) => tx.execute(
                "UPDATE documents SET name = ?4 WHERE workspace_id = ?1 AND kind = ?2 AND id = ?3",
                params![ws, kind.as_str(), id, name],
            )?,
        };
        Ok(())
    }

    /// The current name of a row, if it exists.
    pub(crate) fn name_of(self, tx: &Transaction<'_>, workspace: WorkspaceId, id: &str) -> Result<Option<String>> {
        let ws = workspace.to_string();
        Ok(match self {
            Names::Mappings => tx
                .query_row(
                    "SELECT name FROM column_mappings WHERE workspace_id = ?1 AND id = ?2",
                    params![ws, id],
                    |r| r.get(0),
                )
                .optional()?,
            Names::Documents(kind) => tx
                .query_row(
                    "SELECT name FROM documents WHERE workspace_id = ?1 AND kind = ?2 AND id = ?3",
                    params![ws, kind.as_str(), id],
                    |r| r.get(0),
                )
                .optional()?,
        })
    }

    /// The name to write a row under before [`Names::settle`] names it.
    pub(crate) fn unsettled(id: &str) -> String {
        placeholder(id)
    }

    /// Names every row that asks for `wanted` (and `also`, a row just written under a
    /// placeholder): the smallest id gets `wanted`, the others `wanted (tail)`.
    pub(crate) fn settle(
        self,
        tx: &Transaction<'_>,
        workspace: WorkspaceId,
        wanted: &str,
        also: Option<&str>,
    ) -> Result<()> {
        let rows = self.rows(tx, workspace)?;
        let mut members: Vec<&(String, String)> =
            rows.iter().filter(|(id, name)| Some(id.as_str()) == also || asked_name(name, id) == wanted).collect();
        members.sort_by(|a, b| a.0.cmp(&b.0));
        let member_ids: Vec<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
        let mut taken: std::collections::HashSet<String> =
            rows.iter().filter(|(id, _)| !member_ids.contains(&id.as_str())).map(|(_, name)| name.clone()).collect();
        let mut targets = Vec::with_capacity(members.len());
        for (i, (id, _)) in members.iter().enumerate() {
            let base = if i == 0 { wanted.to_owned() } else { format!("{wanted} ({})", tail(id)) };
            // Only when another row holds that very text as its own name, or two tails match.
            let mut target = base.clone();
            let mut n = 2;
            while taken.contains(&target) {
                target = format!("{base} ({n})");
                n += 1;
            }
            taken.insert(target.clone());
            targets.push(target);
        }
        // Out of the way first, so no rename meets another member's old name.
        for ((id, name), target) in members.iter().zip(&targets) {
            if name != target {
                self.rename(tx, workspace, id, &placeholder(id))?;
            }
        }
        for ((id, name), target) in members.iter().zip(&targets) {
            if name != target {
                self.rename(tx, workspace, id, target)?;
            }
        }
        Ok(())
    }
}

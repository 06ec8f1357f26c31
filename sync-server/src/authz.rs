//! The permission matrix: what each role may do in its org. Every org route asks
//! [`authorize`] and nothing else; `README.md` shows the same matrix as a table (a test keeps
//! the two in step).

use revlens_sync::Role;

use crate::http::error::ApiError;

/// Everything a member can try to do inside an org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See who belongs to the org, with their roles.
    ListMembers,
    /// Leave the org (an org keeps at least one owner).
    Leave,
    /// Change the role of a member who is not an owner (to admin, analyst or viewer), or
    /// remove them.
    ManageMembers,
    /// Make a member owner, or change the role of an owner or remove one.
    ManageOwners,
    /// Pull the change feed.
    Pull,
    /// Download a blob.
    ReadBlob,
    /// Push mutations.
    Push,
    /// Upload a blob.
    WriteBlob,
    ListShareLinks,
    CreateShareLink,
    RevokeShareLink,
    ListInvitations,
    /// Invite someone as admin, analyst or viewer.
    Invite,
    /// Invite someone as owner.
    InviteOwner,
    RevokeInvitation,
    /// Read and export the audit log.
    ReadAudit,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::ListMembers,
        Action::Leave,
        Action::ManageMembers,
        Action::ManageOwners,
        Action::Pull,
        Action::ReadBlob,
        Action::Push,
        Action::WriteBlob,
        Action::ListShareLinks,
        Action::CreateShareLink,
        Action::RevokeShareLink,
        Action::ListInvitations,
        Action::Invite,
        Action::InviteOwner,
        Action::RevokeInvitation,
        Action::ReadAudit,
    ];
}

/// Whether `role` may perform `action`: the matrix itself.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        ListMembers | Leave | Pull | ReadBlob => true,
        Push | WriteBlob | ListShareLinks | CreateShareLink | RevokeShareLink => role != Role::Viewer,
        ListInvitations | Invite | RevokeInvitation | ReadAudit | ManageMembers => {
            matches!(role, Role::Owner | Role::Admin)
        }
        InviteOwner | ManageOwners => role == Role::Owner,
    }
}

/// `Ok` when `role` may perform `action`, [`ApiError::Forbidden`] otherwise.
pub fn authorize(role: Role, action: Action) -> Result<(), ApiError> {
    if allows(role, action) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix as README.md documents it: one row per action, columns owner, admin,
    /// analyst, viewer.
    const EXPECTED: [(Action, [bool; 4]); 16] = [
        (Action::ListMembers, [true, true, true, true]),
        (Action::Leave, [true, true, true, true]),
        (Action::ManageMembers, [true, true, false, false]),
        (Action::ManageOwners, [true, false, false, false]),
        (Action::Pull, [true, true, true, true]),
        (Action::ReadBlob, [true, true, true, true]),
        (Action::Push, [true, true, true, false]),
        (Action::WriteBlob, [true, true, true, false]),
        (Action::ListShareLinks, [true, true, true, false]),
        (Action::CreateShareLink, [true, true, true, false]),
        (Action::RevokeShareLink, [true, true, true, false]),
        (Action::ListInvitations, [true, true, false, false]),
        (Action::Invite, [true, true, false, false]),
        (Action::InviteOwner, [true, false, false, false]),
        (Action::RevokeInvitation, [true, true, false, false]),
        (Action::ReadAudit, [true, true, false, false]),
    ];

    #[test]
    fn matrix_is_exhaustive_and_as_documented() {
        assert_eq!(EXPECTED.len(), Action::ALL.len());
        for (action, row) in EXPECTED {
            for (role, expected) in Role::ALL.into_iter().zip(row) {
                assert_eq!(allows(role, action), expected, "{role} {action:?}");
                assert_eq!(authorize(role, action).is_ok(), expected, "{role} {action:?}");
            }
        }
        for action in Action::ALL {
            assert!(EXPECTED.iter().any(|(a, _)| *a == action), "{action:?} missing from the expected matrix");
        }
    }

    #[test]
    fn readme_table_matches_the_matrix() {
        let readme = include_str!("../README.md");
        for (action, row) in EXPECTED {
            let cells: Vec<&str> = row.iter().map(|&ok| if ok { "yes" } else { "—" }).collect();
            let line = format!("| `{action:?}` | {} |", cells.join(" | "));
            assert!(readme.contains(&line), "README.md lacks the row: {line}");
        }
    }

    #[test]
    fn higher_roles_can_do_everything_lower_roles_can() {
        for action in Action::ALL {
            for pair in Role::ALL.windows(2) {
                if allows(pair[1], action) {
                    assert!(allows(pair[0], action), "{} may {action:?} but {} may not", pair[1], pair[0]);
                }
            }
        }
    }
}

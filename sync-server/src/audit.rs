//! The audit log: one row per authentication event and per change, written with the
//! transaction that makes the change.

use crate::db::Conn;

use crate::http::error::ApiError;

/// Who did what to which object, from where.
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditEvent<'a> {
    pub org_id: Option<&'a str>,
    pub actor_user_id: Option<&'a str>,
    pub action: &'a str,
    pub object_kind: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub client_addr: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// A member's `action` on one object (kind, id) of `org`.
    pub fn in_org(
        org: &'a str,
        actor: &'a str,
        action: &'a str,
        (kind, id): (&'a str, &'a str),
        client_addr: Option<&'a str>,
    ) -> Self {
        Self {
            org_id: Some(org),
            actor_user_id: Some(actor),
            action,
            object_kind: Some(kind),
            object_id: Some(id),
            client_addr,
        }
    }
}

/// Writes `event` through `conn` (a transaction, in practice).
pub fn record(conn: &Conn<'_>, event: &AuditEvent<'_>) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO audit_log (id, at, org_id, actor_user_id, action, object_kind, object_id, client_addr)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        crate::db::params![
            uuid::Uuid::now_v7().to_string(),
            crate::time::now_text(),
            event.org_id,
            event.actor_user_id,
            event.action,
            event.object_kind,
            event.object_id,
            event.client_addr,
        ],
    )?;
    Ok(())
}

/// Writes an authentication event of `user_id` into the log of every org they belong to (one
/// row without an org when they belong to none), so each org's admins see their members'
/// sign-ins.
pub fn record_auth(conn: &Conn<'_>, user_id: &str, action: &str, client_addr: Option<&str>) -> Result<(), ApiError> {
    let mut stmt = conn.prepare("SELECT org_id FROM memberships WHERE user_id = ?1")?;
    let orgs: Vec<String> = stmt.query_map([user_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let event = AuditEvent {
        actor_user_id: Some(user_id),
        action,
        object_kind: Some("user"),
        object_id: Some(user_id),
        client_addr,
        ..Default::default()
    };
    if orgs.is_empty() {
        return record(conn, &event);
    }
    for org in &orgs {
        record(conn, &AuditEvent { org_id: Some(org), ..event })?;
    }
    Ok(())
}

//! Headless administration: `revlens-sync-server admin create-owner`.

use crate::configuration::Settings;
use crate::http::auth::create_org_with_owner;
use crate::security::{check_password_policy, normalize_email};
use crate::startup::{build_context, StartupError};

/// Creates an org and its owner; returns (user id, org id).
pub async fn create_owner(
    settings: Settings,
    email: &str,
    org: &str,
    password: &str,
) -> Result<(String, String), StartupError> {
    let ctx = build_context(settings).await?;
    let email = normalize_email(email)?;
    check_password_policy(password)?;
    let hash = ctx.passwords.hash(password)?;
    let name = email.split('@').next().unwrap_or_default().to_owned();
    let org = org.to_owned();
    Ok(ctx.db.tx(move |tx| create_org_with_owner(tx, &email, &name, &org, &hash)).await?)
}

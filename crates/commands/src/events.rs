use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiResult, App};

/// What long work tells the UI while a command runs. `job` is the id the UI gave the
/// command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppEvent {
    Progress { job: String, phase: String, done: u64, total: Option<u64> },
    Finished { job: String },
    Failed { job: String, message: String },
}

#[derive(Debug, Deserialize, TS)]
pub struct JobArgs {
    pub job: String,
}

/// Cancels a running job; a no-op when it already ended (the UI may race its end).
pub(crate) fn cancel(app: &App, args: JobArgs) -> ApiResult<()> {
    if let Some(token) = app.jobs.lock().unwrap_or_else(|p| p.into_inner()).get(&args.job) {
        token.cancel();
    }
    Ok(())
}

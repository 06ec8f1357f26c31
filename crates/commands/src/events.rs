use serde::{Deserialize, Serialize};
use ts_rs::TS;

use revlens_model::CancelToken;

use crate::{ApiResult, App};

/// What long work tells the UI while a command runs. `job` is the id the UI gave the
/// command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppEvent {
    Progress {
        job: String,
        phase: String,
        done: u64,
        total: Option<u64>,
    },
    /// The job waits for the user in the browser at `url` (a single sign-on page): the UI opens
    /// it and shows it, in case no browser came up.
    OpenUrl {
        job: String,
        url: String,
    },
    Finished {
        job: String,
    },
    Failed {
        job: String,
        message: String,
    },
}

#[derive(Debug, Deserialize, TS)]
pub struct JobArgs {
    pub job: String,
}

impl App {
    /// Runs long work as the job `job`: `cancel_job` reaches it through the token it gets, and
    /// its end goes out as a `Finished` or `Failed` event.
    pub(crate) fn run_job<T>(&self, job: &str, work: impl FnOnce(&CancelToken) -> ApiResult<T>) -> ApiResult<T> {
        let cancel = CancelToken::new();
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).insert(job.to_owned(), cancel.clone());
        let result = work(&cancel);
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).remove(job);
        self.emit(match &result {
            Ok(_) => AppEvent::Finished { job: job.to_owned() },
            Err(error) => AppEvent::Failed { job: job.to_owned(), message: error.message.clone() },
        });
        result
    }
}

/// Cancels a running job; a no-op when it already ended (the UI may race its end).
pub(crate) fn cancel(app: &App, args: JobArgs) -> ApiResult<()> {
    if let Some(token) = app.jobs.lock().unwrap_or_else(|p| p.into_inner()).get(&args.job) {
        token.cancel();
    }
    Ok(())
}

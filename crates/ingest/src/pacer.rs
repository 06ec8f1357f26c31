//! Progress reports and cancellation checks, at a bounded cadence so a 5M-row import
//! neither floods the UI nor ignores the cancel button.

use revlens_model::CancelToken;

use crate::{ImportError, Phase, Progress};

/// Report at most this often (whichever comes first).
const PROGRESS_ROWS: u64 = 64 * 1024;
pub(crate) const PROGRESS_BYTES: u64 = 1024 * 1024;

/// Progress reports and cancellation checks at a bounded cadence.
pub(crate) struct Pacer<'p> {
    progress: &'p mut dyn FnMut(Progress),
    cancel: &'p CancelToken,
    phase: Phase,
    bytes_total: u64,
    last_rows: u64,
    last_bytes: u64,
}

impl<'p> Pacer<'p> {
    pub(crate) fn new(progress: &'p mut dyn FnMut(Progress), cancel: &'p CancelToken, bytes_total: u64) -> Self {
        Pacer { progress, cancel, phase: Phase::Scanning, bytes_total, last_rows: 0, last_bytes: 0 }
    }

    pub(crate) fn start(&mut self, phase: Phase) -> Result<(), ImportError> {
        self.phase = phase;
        self.last_rows = 0;
        self.last_bytes = 0;
        self.report(0, 0)
    }

    pub(crate) fn report(&mut self, rows: u64, bytes: u64) -> Result<(), ImportError> {
        self.last_rows = rows;
        self.last_bytes = bytes;
        (self.progress)(Progress {
            phase: self.phase,
            bytes_done: bytes.min(self.bytes_total),
            bytes_total: self.bytes_total,
            rows,
        });
        if self.cancel.is_cancelled() {
            return Err(ImportError::Cancelled);
        }
        Ok(())
    }

    pub(crate) fn tick(&mut self, rows: u64, bytes: u64) -> Result<(), ImportError> {
        if rows.saturating_sub(self.last_rows) >= PROGRESS_ROWS
            || bytes.saturating_sub(self.last_bytes) >= PROGRESS_BYTES
        {
            self.report(rows, bytes)?;
        }
        Ok(())
    }
}

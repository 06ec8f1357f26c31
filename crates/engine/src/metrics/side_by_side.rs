//! Two pieces of work at once: one on this thread, one on a second.

use std::sync::{Mutex, PoisonError};

/// Runs `aside` on a second thread called `name` while `here` runs on this one, and gives
/// both results. With no thread to be had, `aside` runs here afterwards; a panic on the
/// second thread carries on here.
pub fn side_by_side<A: Send, B>(name: &str, aside: impl FnOnce() -> A + Send, here: impl FnOnce() -> B) -> (A, B) {
    // Shared, so that whichever thread runs it takes it: a thread that cannot start drops
    // what it was handed.
    let aside = Mutex::new(Some(aside));
    let run_aside = || aside.lock().unwrap_or_else(PoisonError::into_inner).take().map(|aside| aside());
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new().name(name.into()).spawn_scoped(scope, run_aside).ok();
        let here = here();
        let done = helper.and_then(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        match done.or_else(run_aside) {
            Some(aside) => (aside, here),
            None => unreachable!("`aside` is taken once, by the second thread or after it failed to start"),
        }
    })
}

/// [`side_by_side`] when there is work aside; otherwise only the work here.
pub fn side_by_side_if<A: Send, B>(
    name: &str,
    aside: Option<impl FnOnce() -> A + Send>,
    here: impl FnOnce() -> B,
) -> (Option<A>, B) {
    match aside {
        Some(aside) => {
            let (aside, here) = side_by_side(name, aside, here);
            (Some(aside), here)
        }
        None => (None, here()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_results_come_back_and_the_work_aside_runs_elsewhere() {
        let here = std::thread::current().id();
        let (aside, mine) = side_by_side("aside", || std::thread::current().id(), || 7);
        assert_eq!(mine, 7);
        assert_ne!(aside, here);
    }

    #[test]
    fn a_panic_aside_carries_on_here() {
        let outcome = std::panic::catch_unwind(|| side_by_side("aside", || panic!("aside failed"), || 1));
        let panic = outcome.err().and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(panic.as_deref(), Some("aside failed"));
    }
}

//! End to end: the `revlens` binary, as scripts and other tools call it.

#![allow(clippy::unwrap_used)] // a failing step should stop the test right there

mod convergence;
mod helpers;
mod import;
mod manage;
mod metrics;
mod sync;

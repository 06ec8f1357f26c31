//! Synthetic data that looks like the real thing, reproducible from a seed: the demo
//! SaaS that fills the app on first run, and large files for benchmarks.

mod demo;
mod rng;
mod transactions;

pub use demo::{write_demo_saas, DemoSaas};
pub use rng::Rng;
pub use transactions::write_transactions;

//! Structured JSON logs through `tracing`. `RUST_LOG` filters (default `info`).
//!
//! Never log a secret: handlers log ids and outcomes, the request span carries the method, the
//! route template (never the raw URI, which may hold a share token) and the request id.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Installs the global JSON subscriber writing to `sink`. Call once, in the binary.
pub fn init_subscriber<W>(default_filter: &str, sink: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(sink);
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(filter).with(json).try_init();
}

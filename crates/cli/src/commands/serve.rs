use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::ServeArgs;

/// The UI built next to the sources, for `revlens serve` run from a checkout.
const CHECKOUT_UI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist");

pub fn serve(home: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let ui_dir = args.ui_dir.unwrap_or_else(|| PathBuf::from(CHECKOUT_UI));
    if !ui_dir.join("index.html").is_file() {
        anyhow::bail!(
            "no built UI in {}: run `npm ci && npm run build` in ui/, or pass --ui-dir DIR",
            ui_dir.display()
        );
    }
    let (app, events) = revlens_http::open_app(home).map_err(|e| anyhow::anyhow!(e.message))?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the server's runtime")?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    runtime
        .block_on(revlens_http::serve(app, events, address, ui_dir, |bound| {
            outln!("RevLens is serving http://{bound}/ (Ctrl-C stops it)");
        }))
        .with_context(|| format!("cannot serve on {address}"))
}

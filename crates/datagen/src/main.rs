//! `revlens-datagen`: writes synthetic files for demos and benchmarks.
//!
//! ```text
//! revlens-datagen transactions ROWS OUT.csv [SEED]
//! revlens-datagen demo OUT_DIR [SEED]
//! ```

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = |i: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(42);
    let result = match args.first().map(String::as_str) {
        Some("transactions") if args.len() >= 3 => match args[1].parse::<u64>() {
            Ok(rows) => File::create(&args[2])
                .and_then(|file| revlens_datagen::write_transactions(&mut BufWriter::new(file), rows, seed(3))),
            Err(_) => Err(std::io::Error::other(format!("ROWS must be a number, not '{}'", args[1]))),
        },
        Some("demo") if args.len() >= 2 => revlens_datagen::write_demo_saas(seed(2)).and_then(|demo| {
            let dir = Path::new(&args[1]);
            fs::create_dir_all(dir)?;
            fs::write(dir.join("subscriptions.csv"), demo.subscriptions)?;
            fs::write(dir.join("customers.csv"), demo.customers)
        }),
        _ => {
            eprintln!("usage: revlens-datagen transactions ROWS OUT.csv [SEED] | demo OUT_DIR [SEED]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

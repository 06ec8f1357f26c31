//! Embeds the numbered SQL files of `migrations/` so the binary carries its schema.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(u32, String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
        if !name.ends_with(".sql") {
            continue;
        }
        let number = name
            .split('_')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| format!("migration {name} must start with its number, like 0003_name.sql"))?;
        println!("cargo:rerun-if-changed={}", path.display());
        files.push((number, name, fs::canonicalize(&path)?));
    }
    files.sort();
    for (expected, (number, name, _)) in (1..).zip(&files) {
        if *number != expected {
            return Err(
                format!("migrations must be numbered 1, 2, 3… without gaps; {name} should be {expected:04}").into()
            );
        }
    }
    let mut code = String::from("pub(crate) static MIGRATIONS: &[Migration] = &[\n");
    for (number, name, path) in &files {
        writeln!(code, "    Migration {{ version: {number}, name: {name:?}, sql: include_str!({path:?}) }},")?;
    }
    code.push_str("];\n");
    fs::write(PathBuf::from(env::var("OUT_DIR")?).join("migrations.rs"), code)?;
    Ok(())
}

//! `revlens`: the command line. A thin adapter: it parses arguments, calls
//! `revlens-service`, and prints. Exit codes: 0 success, 1 error, 2 usage error.

#[macro_use]
mod output;
mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

#[global_allocator]
static ALLOCATOR: revlens_alloc::MiMalloc = revlens_alloc::MiMalloc;

fn main() -> ExitCode {
    revlens_alloc::return_freed_memory_at_once();
    // A panic is a bug: say so in one line, without a backtrace. A panic contained inside a
    // third-party parser is not: the import reports it as a broken file.
    std::panic::set_hook(Box::new(|info| {
        if !revlens_ingest::panic_is_contained() {
            eprintln!("error: internal error ({info}); please report it");
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", output::describe(&error));
            ExitCode::from(1)
        }
    }
}

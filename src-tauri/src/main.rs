// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[global_allocator]
static ALLOCATOR: revlens_alloc::MiMalloc = revlens_alloc::MiMalloc;

fn main() -> std::process::ExitCode {
    revlens_alloc::return_freed_memory_at_once();
    match revlens_desktop::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("revlens-desktop: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `revlens-sync-server`: under construction (see issue 5).

fn main() {
    eprintln!("revlens-sync-server: not yet implemented");
}

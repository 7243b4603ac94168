//! The sync server. Filled in by the sync work; for now it only says so.

fn main() {
    eprintln!("portal-server: the sync server is not built yet; see the sync issue.");
    std::process::exit(2);
}

//! The `nautobot-server` binary.

fn main() {
    std::process::exit(nautobot_server::cli::main());
}

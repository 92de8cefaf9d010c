//! The `nautobot-server` binary.

// glibc's allocator spends much of a busy server's time consolidating free lists across
// actix's worker and blocking threads; mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(nautobot_server::cli::main());
}

//! `leanagg-prover`: the prover server the addon starts for `isolation: 'process'`. It speaks
//! only to the addon, over its stdin and stdout (see `leanagg::isolation`).
fn main() {
    std::process::exit(leanagg::isolation::server::run());
}

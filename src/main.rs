//! The `raftcheck` command.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = raftcheck::cli::Cli::parse();
    std::process::ExitCode::from(raftcheck::run(&cli) as u8)
}

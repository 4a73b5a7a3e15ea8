//! The `raftcheck` command.

use clap::Parser;

fn main() -> std::process::ExitCode {
    quit_quietly_on_a_closed_pipe();
    let cli = raftcheck::cli::Cli::parse();
    std::process::ExitCode::from(raftcheck::run(&cli) as u8)
}

/// `raftcheck check | head` must end like any Unix tool when the reader goes away, not with a
/// panic from `println!`: restore the default action of SIGPIPE, which Rust's runtime ignores.
/// Trace files are written before anything is printed about them, so nothing found is lost.
/// An adapter process's stdin, which a child may leave at any time, is not a pipe but a socket
/// written with `MSG_NOSIGNAL` (`raftcheck_adapter::process::child`): a child that has gone is
/// an adapter fault there, never this signal.
fn quit_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists; setting a signal's
    // disposition to its default has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

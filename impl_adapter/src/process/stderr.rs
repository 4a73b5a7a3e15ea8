//! What a child writes to stderr: the last lines, for fault reports, and the panic it died of.
//!
//! A thread drains the child's stderr into a [`StderrLog`] so the child never blocks on a full
//! pipe. The log keeps the last [`TAIL_LINES`] lines and, apart from them, the first complete
//! panic the child printed, so a long Go traceback cannot push the `panic:` line out of the
//! tail. [`parse_panic`] reads a Go or Rust panic out of such lines.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::guard::Panic;

/// How many stderr lines are kept for reports.
pub const TAIL_LINES: usize = 20;
/// How many lines of a panic are kept (message and traceback).
const PANIC_LINES: usize = 200;
/// Longest stderr line kept; the rest of it is cut off.
const LINE_CHARS: usize = 500;

/// The child's stderr as far as it has been read.
#[derive(Default)]
pub struct StderrLog {
    state: Mutex<Captured>,
    closed: Condvar,
}

#[derive(Default)]
struct Captured {
    tail: VecDeque<String>,
    /// The panic being captured: from the line that starts it on.
    panic: Vec<String>,
    /// stderr reached its end (the child and everything it started have closed it).
    closed: bool,
}

impl Captured {
    fn push(&mut self, line: String) {
        if starts_panic(&line) && (self.panic.is_empty() || parse_panic(&self.panic).is_none()) {
            // A new panic replaces a capture that never became a whole panic (a log line that
            // merely starts with `panic: `).
            self.panic.clear();
        }
        if (!self.panic.is_empty() || starts_panic(&line)) && self.panic.len() < PANIC_LINES {
            self.panic.push(line.clone());
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }
}

impl StderrLog {
    /// Reads `stderr` to its end into the log (run it on a thread of its own).
    pub fn drain(&self, stderr: impl Read) {
        for line in BufReader::new(stderr).split(b'\n') {
            let Ok(line) = line else { break };
            let mut text = String::from_utf8_lossy(&line).into_owned();
            if text.len() > LINE_CHARS {
                let mut end = LINE_CHARS;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
            }
            self.lock().push(text);
        }
        self.lock().closed = true;
        self.closed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Captured> {
        self.state.lock().expect("stderr log lock")
    }

    /// Waits until stderr has reached its end or `timeout` has passed.
    pub fn wait_closed(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while !state.closed {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            state = self
                .closed
                .wait_timeout(state, deadline - now)
                .expect("stderr log lock")
                .0;
        }
    }

    /// The last lines read.
    pub fn tail(&self) -> Vec<String> {
        self.lock().tail.iter().cloned().collect()
    }

    /// The panic the child printed, if its stderr shows a whole one.
    pub fn panic(&self) -> Option<Panic> {
        parse_panic(&self.lock().panic)
    }
}

/// True for the first line of a Go panic (`panic: MSG`) or a Rust panic
/// (`thread 'NAME' panicked at ...`).
fn starts_panic(line: &str) -> bool {
    line.starts_with("panic: ") || rust_panic_line(line).is_some()
}

/// The text after `panicked at ` on a Rust panic's first line.
fn rust_panic_line(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("thread '")?;
    let (_thread, rest) = rest.split_once("' panicked at ")?;
    Some(rest)
}

/// The panic at the start of `lines`, or `None` when they do not start with a whole Go or Rust
/// panic.
///
/// - Go: `panic: MSG` (the message may take several lines), a blank line, `goroutine N
///   [running]:`, then frames, each a function line and a `\t/path/file.go:LINE +0x..` line.
///   The location is that of the first frame outside the Go runtime (`runtime.*`,
///   `internal/runtime/*`, the `panic(...)` frame). Without the goroutine header it is not a
///   panic (it may be a log line that starts with `panic: `).
/// - Rust: `thread 'NAME' panicked at FILE:LINE:COL:` followed by the message lines (up to a
///   `note:` line or a backtrace), as Rust 1.73 and later print it; or the older one-line
///   `thread 'NAME' panicked at 'MSG', FILE:LINE:COL`. The column is dropped.
pub fn parse_panic(lines: &[String]) -> Option<Panic> {
    let first = lines.first()?;
    if let Some(message) = first.strip_prefix("panic: ") {
        parse_go(message, &lines[1..])
    } else {
        parse_rust(rust_panic_line(first)?, &lines[1..])
    }
}

fn parse_go(first: &str, rest: &[String]) -> Option<Panic> {
    let mut message = vec![first.to_string()];
    let mut lines = rest.iter().map(String::as_str);
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        // A runtime error from a signal adds `[signal SIGSEGV: ...]` under the message.
        if !line.starts_with("[signal ") {
            message.push(line.to_string());
        }
    }
    let header = lines.next()?;
    if !(header.starts_with("goroutine ") && header.ends_with("]:")) {
        return None;
    }
    let mut location = None;
    while let Some(function) = lines.next() {
        if function.trim().is_empty() {
            break;
        }
        let Some(at) = lines.next().and_then(|l| l.strip_prefix('\t')) else {
            break;
        };
        if !in_go_runtime(function) {
            let at = at.rsplit_once(" +0x").map_or(at, |(path, _)| path);
            location = Some(at.trim().to_string());
            break;
        }
    }
    Some(Panic {
        message: message.join("\n"),
        location,
    })
}

fn in_go_runtime(function: &str) -> bool {
    ["runtime.", "runtime/", "internal/runtime/", "panic("]
        .iter()
        .any(|p| function.starts_with(p))
}

fn parse_rust(after: &str, rest: &[String]) -> Option<Panic> {
    if let Some(old) = after.strip_prefix('\'') {
        // Before Rust 1.73: `thread 'main' panicked at 'MSG', FILE:LINE:COL`.
        let (message, at) = old.rsplit_once("', ")?;
        return Some(Panic {
            message: message.to_string(),
            location: Some(without_column(at)),
        });
    }
    let at = after.strip_suffix(':')?;
    let message: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .take_while(|l| {
            !l.starts_with("note: ") && !l.starts_with("stack backtrace:") && !starts_panic(l)
        })
        .collect();
    Some(Panic {
        message: if message.is_empty() {
            "(no message)".to_string()
        } else {
            message.join("\n")
        },
        location: Some(without_column(at)),
    })
}

/// `FILE:LINE:COL` as `FILE:LINE`; anything else as it is.
fn without_column(at: &str) -> String {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match at.rsplit_once(':') {
        Some((head, column))
            if numeric(column) && head.rsplit_once(':').is_some_and(|(_, l)| numeric(l)) =>
        {
            head.to_string()
        }
        _ => at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn log_of(text: &str) -> StderrLog {
        let log = StderrLog::default();
        log.drain(text.as_bytes());
        log
    }

    const GO_PANIC: &str = "\
2025/01/07 10:31:02 applying receive n2→n1
panic: tocommit(5) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?

goroutine 1 [running]:
panic({0x5d3a40?, 0xc000012390?})
\t/usr/lib/go-1.26/src/runtime/panic.go:811 +0x168
main.(*raftLog).commitTo(0xc0000ce0e0, 0x5)
\t/home/dev/myraft/log.go:237 +0x11c
main.(*node).handleHeartbeat(0xc0000b4000, {0x8, 0x1, 0x2, 0x1})
\t/home/dev/myraft/node.go:88 +0x4a
main.main()
\t/home/dev/myraft/main.go:41 +0x2a5
";

    #[test]
    fn a_go_panic_is_located_at_its_first_frame_outside_the_runtime() {
        let log = log_of(GO_PANIC);
        assert_eq!(
            log.panic(),
            Some(Panic {
                message: "tocommit(5) is out of range [lastIndex(0)]. Was the raft log \
                          corrupted, truncated, or lost?"
                    .into(),
                location: Some("/home/dev/myraft/log.go:237".into()),
            })
        );
    }

    #[test]
    fn a_go_runtime_error_keeps_its_message_and_skips_the_signal_line() {
        let text = "\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x47b3c5]

goroutine 7 [running]:
internal/runtime/maps.(*Map).getWithKeySmall(...)
\t/usr/lib/go-1.26/src/internal/runtime/maps/runtime_fast64.go:21
main.(*node).step(...)
\t/home/dev/myraft/node.go:12
created by main.main in goroutine 1
\t/home/dev/myraft/main.go:30 +0x66
";
        let p = parse_panic(&lines(text)).unwrap();
        assert_eq!(
            p.message,
            "runtime error: invalid memory address or nil pointer dereference"
        );
        assert_eq!(p.location.as_deref(), Some("/home/dev/myraft/node.go:12"));
    }

    #[test]
    fn a_rust_panic_is_parsed_in_both_formats() {
        let now = "\
thread 'main' panicked at impl_adapter/src/process/server.rs:120:13:
assertion `left == right` failed
  left: 2
 right: 3
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";
        assert_eq!(
            log_of(now).panic(),
            Some(Panic {
                message: "assertion `left == right` failed\n  left: 2\n right: 3".into(),
                location: Some("impl_adapter/src/process/server.rs:120".into()),
            })
        );
        let old = "thread '<unnamed>' panicked at 'to_commit 5 is out of range', src/log.rs:7:9";
        assert_eq!(
            parse_panic(&lines(old)),
            Some(Panic {
                message: "to_commit 5 is out of range".into(),
                location: Some("src/log.rs:7".into()),
            })
        );
    }

    #[test]
    fn stderr_without_a_whole_panic_shows_none() {
        assert_eq!(log_of("").panic(), None);
        assert_eq!(log_of("fatal: cannot open data dir\n").panic(), None);
        // `panic:` on a log line, with no traceback after it, is not a panic.
        assert_eq!(
            log_of("panic: index out of range [3] with length 3\n").panic(),
            None
        );
        // Nor is a Go fatal error, which is not recoverable and not a panic.
        let fatal = "fatal error: concurrent map writes\n\ngoroutine 5 [running]:\n";
        assert_eq!(log_of(fatal).panic(), None);
    }

    #[test]
    fn a_real_panic_after_a_line_that_only_looks_like_one_is_found() {
        let text = format!("panic: log line, not a panic\nstill running\n{GO_PANIC}");
        let p = log_of(&text).panic().unwrap();
        assert_eq!(p.location.as_deref(), Some("/home/dev/myraft/log.go:237"));
    }

    #[test]
    fn a_long_traceback_keeps_its_panic_and_the_tail_stays_short() {
        let mut text = String::from(GO_PANIC);
        for i in 0..100 {
            text.push_str(&format!(
                "main.frame{i}()\n\t/home/dev/myraft/deep.go:{i} +0x1\n"
            ));
        }
        let log = log_of(&text);
        assert_eq!(log.tail().len(), TAIL_LINES);
        assert_eq!(
            log.panic().unwrap().location.as_deref(),
            Some("/home/dev/myraft/log.go:237")
        );
    }

    #[test]
    fn the_column_alone_is_dropped() {
        assert_eq!(without_column("src/a.rs:3:9"), "src/a.rs:3");
        assert_eq!(without_column("src/a.rs:3"), "src/a.rs:3");
        assert_eq!(without_column("C:x"), "C:x");
    }
}

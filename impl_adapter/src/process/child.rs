//! A child process spoken to in JSON lines, with a deadline on every answer.
//!
//! stdout is read by a thread that forwards complete lines over a channel, so waiting for an
//! answer is a `recv_timeout`; stderr is drained by another thread that keeps the last lines for
//! error reports. Dropping a [`Child`] closes its stdin, gives it a moment to exit, then kills
//! it and reaps it: no child outlives its adapter.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Longest line accepted from a child; anything longer is a protocol fault, not a memory leak.
pub const MAX_LINE: usize = 16 << 20;
/// How many stderr lines are kept for reports.
const STDERR_LINES: usize = 20;
/// How long a closed child may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// What the stdout reader thread forwards.
enum Line {
    Text(String),
    TooLong,
    Closed,
    Failed(String),
}

/// Why no answer came.
#[derive(Debug, PartialEq, Eq)]
pub enum ChildError {
    /// No line within the deadline.
    Timeout(Duration),
    /// stdout closed (the child exited); with its exit status if known.
    Exited(String),
    /// A line longer than [`MAX_LINE`].
    LineTooLong,
    /// Writing to or reading from the child failed.
    Io(String),
}

impl std::fmt::Display for ChildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChildError::Timeout(d) => {
                write!(f, "no answer within {:.1} s (hung?)", d.as_secs_f64())
            }
            ChildError::Exited(status) => write!(f, "the child exited ({status})"),
            ChildError::LineTooLong => write!(f, "the child wrote a line over {MAX_LINE} bytes"),
            ChildError::Io(e) => write!(f, "talking to the child failed: {e}"),
        }
    }
}

/// A running child process.
pub struct Child {
    process: std::process::Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    command: String,
}

fn read_lines(stdout: impl Read, tx: mpsc::Sender<Line>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut buf = Vec::new();
        match (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) => {
                let _ = tx.send(Line::Closed);
                return;
            }
            Ok(_) if buf.len() > MAX_LINE => {
                let _ = tx.send(Line::TooLong);
                return;
            }
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                let text = String::from_utf8_lossy(&buf).into_owned();
                if tx.send(Line::Text(text)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Line::Failed(e.to_string()));
                return;
            }
        }
    }
}

fn keep_tail(stderr: impl Read, tail: Arc<Mutex<VecDeque<String>>>) {
    let reader = BufReader::new(stderr);
    for line in reader.split(b'\n') {
        let Ok(line) = line else { return };
        let mut text = String::from_utf8_lossy(&line).into_owned();
        text.truncate(500);
        let mut tail = tail.lock().expect("stderr tail lock");
        if tail.len() == STDERR_LINES {
            tail.pop_front();
        }
        tail.push_back(text);
    }
}

impl Child {
    /// Starts `program` with `args`.
    pub fn spawn(program: &str, args: &[String]) -> std::io::Result<Child> {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut process = command.spawn()?;
        let stdout = process.stdout.take().expect("piped stdout");
        let stderr = process.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || read_lines(stdout, tx));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail2 = Arc::clone(&tail);
        thread::spawn(move || keep_tail(stderr, tail2));
        let mut shown = program.to_string();
        for a in args {
            shown.push(' ');
            shown.push_str(a);
        }
        Ok(Child {
            stdin: process.stdin.take(),
            process,
            lines,
            stderr: tail,
            command: shown,
        })
    }

    /// The command line, for messages.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sends one line (a newline is appended).
    pub fn send(&mut self, line: &str) -> Result<(), ChildError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| ChildError::Io("stdin already closed".into()))?;
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        match stdin.write_all(&bytes).and_then(|_| stdin.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                Err(ChildError::Exited(self.exit_status()))
            }
            Err(e) => Err(ChildError::Io(e.to_string())),
        }
    }

    /// Waits up to `timeout` for the next line.
    pub fn receive(&mut self, timeout: Duration) -> Result<String, ChildError> {
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Text(text)) => Ok(text),
            Ok(Line::TooLong) => Err(ChildError::LineTooLong),
            Ok(Line::Failed(e)) => Err(ChildError::Io(e)),
            Ok(Line::Closed) | Err(RecvTimeoutError::Disconnected) => {
                Err(ChildError::Exited(self.exit_status()))
            }
            Err(RecvTimeoutError::Timeout) => Err(ChildError::Timeout(timeout)),
        }
    }

    fn exit_status(&mut self) -> String {
        let deadline = Instant::now() + EXIT_GRACE;
        loop {
            match self.process.try_wait() {
                Ok(Some(status)) => return status.to_string(),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => return "still running, output closed".into(),
                Err(e) => return format!("status unknown: {e}"),
            }
        }
    }

    /// The last lines the child wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        // Give the stderr thread a moment to catch up with a child that just failed.
        thread::sleep(Duration::from_millis(20));
        self.stderr
            .lock()
            .expect("stderr tail lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Stops the child: close stdin, wait briefly, kill, reap.
    pub fn stop(&mut self) {
        self.stdin.take();
        let deadline = Instant::now() + EXIT_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                // Whatever the child started in its group goes with it.
                self.kill_group();
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        self.kill_group();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    #[cfg(unix)]
    fn kill_group(&self) {
        if let Ok(pid) = i32::try_from(self.process.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group the child leads;
            // it touches no memory of ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }

    #[cfg(not(unix))]
    fn kill_group(&self) {}

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.process.id()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.stop();
    }
}

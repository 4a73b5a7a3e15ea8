//! A child process spoken to in JSON lines, with a deadline on every answer.
//!
//! stdout is read by a thread that forwards complete lines over a channel, so waiting for an
//! answer is a `recv_timeout`; stderr is drained by another thread that keeps its tail for
//! error reports and the panic the child died of. Requests go to the child's stdin through a
//! descriptor on which a child that has gone is an error, never a signal (see `input` below).
//! Dropping a [`Child`] closes its stdin, gives it a moment to exit, then kills it and reaps it:
//! no child outlives its adapter.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::stderr::StderrLog;
use crate::guard::Panic;

/// Longest line accepted from a child; anything longer is a protocol fault, not a memory leak.
pub const MAX_LINE: usize = 16 << 20;
/// How long a closed child may take to exit before it is killed, and how long the stderr of a
/// child that exited may take to reach its end.
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
    /// stdout closed or stdin refused (the child exited); with its exit status if known.
    Exited(String),
    /// The child closed its stdin but is still running.
    InputClosed,
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
            ChildError::InputClosed => {
                write!(f, "the child closed its stdin and is still running")
            }
            ChildError::LineTooLong => write!(f, "the child wrote a line over {MAX_LINE} bytes"),
            ChildError::Io(e) => write!(f, "talking to the child failed: {e}"),
        }
    }
}

/// A running child process.
pub struct Child {
    process: std::process::Child,
    stdin: Option<input::ChildInput>,
    lines: Receiver<Line>,
    stderr: Arc<StderrLog>,
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

impl Child {
    /// Starts `program` with `args`.
    pub fn spawn(program: &str, args: &[String]) -> std::io::Result<Child> {
        let (mut stdin, childs_stdin) = input::ChildInput::open()?;
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(childs_stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut process = command.spawn()?;
        // The child's end of its stdin lives on in the child only: with a copy open here, a
        // child that closed its stdin could never be noticed.
        drop(command);
        stdin.attach(&mut process);
        let stdout = process.stdout.take().expect("piped stdout");
        let stderr = process.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || read_lines(stdout, tx));
        let log = Arc::new(StderrLog::default());
        let drained = Arc::clone(&log);
        thread::spawn(move || drained.drain(stderr));
        let mut shown = program.to_string();
        for a in args {
            shown.push(' ');
            shown.push_str(a);
        }
        Ok(Child {
            stdin: Some(stdin),
            process,
            lines,
            stderr: log,
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
            // EPIPE: nothing reads the child's stdin any more. It exited, or closed it.
            Err(e) if input::is_closed(&e) => match self.exit_status() {
                Some(status) => Err(ChildError::Exited(status)),
                None => Err(ChildError::InputClosed),
            },
            Err(e) => Err(ChildError::Io(e.to_string())),
        }
    }

    /// Waits up to `timeout` for the next line.
    pub fn receive(&mut self, timeout: Duration) -> Result<String, ChildError> {
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Text(text)) => Ok(text),
            Ok(Line::TooLong) => Err(ChildError::LineTooLong),
            Ok(Line::Failed(e)) => Err(ChildError::Io(e)),
            Ok(Line::Closed) | Err(RecvTimeoutError::Disconnected) => Err(ChildError::Exited(
                self.exit_status()
                    .unwrap_or_else(|| "still running, output closed".into()),
            )),
            Err(RecvTimeoutError::Timeout) => Err(ChildError::Timeout(timeout)),
        }
    }

    /// The exit status of a child that exits within [`EXIT_GRACE`]; `None` while it runs.
    fn exit_status(&mut self) -> Option<String> {
        let deadline = Instant::now() + EXIT_GRACE;
        loop {
            match self.process.try_wait() {
                Ok(Some(status)) => return Some(status.to_string()),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => return None,
                Err(e) => return Some(format!("status unknown: {e}")),
            }
        }
    }

    /// True once the child has exited (without waiting for it).
    fn has_exited(&mut self) -> bool {
        !matches!(self.process.try_wait(), Ok(None))
    }

    /// Lets the stderr thread catch up with a child that just failed: up to the end of a dead
    /// child's stderr, a moment for a live one.
    fn settle_stderr(&mut self) {
        if self.has_exited() {
            self.stderr.wait_closed(EXIT_GRACE);
        } else {
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last lines the child wrote to stderr.
    pub fn stderr_tail(&mut self) -> Vec<String> {
        self.settle_stderr();
        self.stderr.tail()
    }

    /// The panic the child died of: `Some` only when it has exited and its stderr shows a Go or
    /// Rust panic (in the forms `stderr::parse_panic` reads).
    pub fn panic(&mut self) -> Option<Panic> {
        if !self.has_exited() {
            return None;
        }
        self.stderr.wait_closed(EXIT_GRACE);
        self.stderr.panic()
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

/// The child's stdin, on which writing to a child that has gone is an error, never a signal.
///
/// raftcheck keeps SIGPIPE at its default action, so that `raftcheck check | head` ends quietly
/// like any Unix tool (see `src/main.rs`). A `write(2)` to a pipe whose reader has gone raises
/// SIGPIPE, which would then kill raftcheck before it reports the fault or writes the trace. So
/// on Unix the child's stdin is one end of a socket pair instead of a pipe, and requests go out
/// with `send(2)` and `MSG_NOSIGNAL` (`SO_NOSIGPIPE` on Apple systems), which fails with EPIPE
/// instead. This is a property of the descriptor: it holds on every thread and whatever anyone
/// does with the process's signal dispositions, and needs no signal handling. The other ways
/// out were worse: blocking SIGPIPE around each write and consuming the signal left pending
/// after a failed one (three extra system calls per request, on every thread that writes), or
/// ignoring SIGPIPE in the whole process and handling EPIPE on every print. The child reads the
/// same byte stream on its stdin as before; nothing in the protocol changes.
mod input {
    use std::io::{self, Write};
    use std::process::Stdio;

    /// raftcheck's end of the child's stdin.
    pub struct ChildInput(Inner);

    #[cfg(unix)]
    type Inner = std::os::unix::net::UnixStream;
    // Elsewhere there is no SIGPIPE: the pipe `Command` makes reports a gone reader as an error.
    #[cfg(not(unix))]
    type Inner = Option<std::process::ChildStdin>;

    /// True for the error a write gets when nothing reads the child's stdin any more.
    pub fn is_closed(e: &io::Error) -> bool {
        matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        )
    }

    impl ChildInput {
        /// Our end, and the child's end to give to `Command::stdin`.
        #[cfg(unix)]
        pub fn open() -> io::Result<(ChildInput, Stdio)> {
            // Both ends are close-on-exec: no other child inherits either of them.
            let (ours, childs) = std::os::unix::net::UnixStream::pair()?;
            #[cfg(target_vendor = "apple")]
            no_sigpipe(&ours)?;
            Ok((
                ChildInput(ours),
                Stdio::from(std::os::fd::OwnedFd::from(childs)),
            ))
        }

        /// Our end (to be attached), and a pipe for the child.
        #[cfg(not(unix))]
        pub fn open() -> io::Result<(ChildInput, Stdio)> {
            Ok((ChildInput(None), Stdio::piped()))
        }

        /// Connects our end to the spawned child (where the pipe only exists from then on).
        pub fn attach(&mut self, _child: &mut std::process::Child) {
            #[cfg(not(unix))]
            {
                self.0 = _child.stdin.take();
            }
        }
    }

    #[cfg(target_vendor = "apple")]
    fn no_sigpipe(socket: &Inner) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: setsockopt(2) on a socket we own, reading `on` for the given size.
        let r = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_NOSIGPIPE,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    #[cfg(unix)]
    impl Write for ChildInput {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            use std::os::fd::AsRawFd;
            #[cfg(not(target_vendor = "apple"))]
            const FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
            #[cfg(target_vendor = "apple")]
            const FLAGS: libc::c_int = 0;
            // SAFETY: send(2) reads at most `buf.len()` bytes from `buf`, which outlives the
            // call, on a socket we own.
            let sent =
                unsafe { libc::send(self.0.as_raw_fd(), buf.as_ptr().cast(), buf.len(), FLAGS) };
            if sent < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(sent as usize)
            }
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[cfg(not(unix))]
    impl Write for ChildInput {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            match &mut self.0 {
                Some(pipe) => pipe.write(buf),
                None => Err(io::ErrorKind::BrokenPipe.into()),
            }
        }

        fn flush(&mut self) -> io::Result<()> {
            match &mut self.0 {
                Some(pipe) => pipe.flush(),
                None => Ok(()),
            }
        }
    }
}

//! A child process spoken to in JSON lines, with a deadline on every answer.
//!
//! stdout is read on the calling thread: waiting for an answer polls the pipe until the
//! deadline (on Unix; elsewhere a thread forwards what it reads), so an answer costs no thread
//! hand-off. Requests go to the child's stdin through a descriptor on which a child that has
//! gone is an error, never a signal, and which is written without blocking: while a request
//! waits for room, whatever the child writes meanwhile is read into the stdout buffer, so
//! sending many requests ahead of reading their answers cannot deadlock (see `input` and
//! `output` below). stderr is drained by a thread that keeps its tail for error reports and the
//! panic the child died of. Dropping a [`Child`] closes its stdin, gives it a moment to exit,
//! then kills it and reaps it: no child outlives its adapter.

use std::io::Write;
use std::process::{Command, Stdio};
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
    stdout: output::ChildOutput,
    stderr: Arc<StderrLog>,
    command: String,
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
        let stdout = output::ChildOutput::new(process.stdout.take().expect("piped stdout"));
        let stderr = process.stderr.take().expect("piped stderr");
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
            stdout,
            stderr: log,
            command: shown,
        })
    }

    /// The command line, for messages.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sends one line (a newline is appended), waiting at most `timeout` for the child to make
    /// room for it. What the child writes meanwhile is kept for [`Child::receive`].
    pub fn send(&mut self, line: &str, timeout: Duration) -> Result<(), ChildError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| ChildError::Io("stdin already closed".into()))?;
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let deadline = Instant::now() + timeout;
        let mut sent = 0;
        let result = loop {
            match stdin.write(&bytes[sent..]) {
                Ok(n) => {
                    sent += n;
                    if sent == bytes.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    // The child is not reading: it may be blocked writing answers we have not
                    // read yet. Take them, and wait for room.
                    match output::wait_writable(stdin, &mut self.stdout, deadline) {
                        Ok(true) => {}
                        Ok(false) => break Err(std::io::ErrorKind::TimedOut.into()),
                        Err(e) => break Err(e),
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        match result {
            Ok(()) => Ok(()),
            // EPIPE: nothing reads the child's stdin any more. It exited, or closed it.
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(ChildError::Timeout(timeout)),
            Err(e) if input::is_closed(&e) => match self.exit_status() {
                Some(status) => Err(ChildError::Exited(status)),
                None => Err(ChildError::InputClosed),
            },
            Err(e) => Err(ChildError::Io(e.to_string())),
        }
    }

    /// Waits up to `timeout` for the next line.
    pub fn receive(&mut self, timeout: Duration) -> Result<String, ChildError> {
        match self.stdout.line(Instant::now() + timeout) {
            Ok(text) => Ok(text),
            Err(output::NoLine::Timeout) => Err(ChildError::Timeout(timeout)),
            Err(output::NoLine::TooLong) => Err(ChildError::LineTooLong),
            Err(output::NoLine::Failed(e)) => Err(ChildError::Io(e)),
            Err(output::NoLine::Closed) => Err(ChildError::Exited(
                self.exit_status()
                    .unwrap_or_else(|| "still running, output closed".into()),
            )),
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

    #[cfg(unix)]
    impl std::os::fd::AsRawFd for ChildInput {
        fn as_raw_fd(&self) -> std::os::fd::RawFd {
            self.0.as_raw_fd()
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
            // Never blocking: a full socket is `WouldBlock`, and `Child::send` then reads the
            // child's answers while it waits for room.
            const FLAGS_NOW: libc::c_int = FLAGS | libc::MSG_DONTWAIT;
            // SAFETY: send(2) reads at most `buf.len()` bytes from `buf`, which outlives the
            // call, on a socket we own.
            let sent = unsafe {
                libc::send(
                    self.0.as_raw_fd(),
                    buf.as_ptr().cast(),
                    buf.len(),
                    FLAGS_NOW,
                )
            };
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

/// The child's stdout, read on the calling thread.
///
/// On Unix, waiting for a line polls the pipe with the time left before the deadline and reads
/// what is there: no thread, no hand-off between threads per answer. Elsewhere a thread reads
/// the pipe and forwards what it reads over a channel. Either way lines are cut here, and a
/// last line without its newline is still a line when the child closes its stdout.
mod output {
    use std::io::{self, Read};
    use std::process::ChildStdout;
    use std::time::Instant;

    use super::MAX_LINE;

    /// Why no line came.
    #[derive(Clone, Debug)]
    pub enum NoLine {
        /// Not before the deadline.
        Timeout,
        /// More than [`MAX_LINE`] bytes without a newline.
        TooLong,
        /// The child closed its stdout.
        Closed,
        /// Reading failed.
        Failed(String),
    }

    /// What one wait for more bytes brought.
    enum Fill {
        Data,
        Closed,
        Timeout,
    }

    /// The read end of the child's stdout and the bytes read from it not yet taken as lines.
    pub struct ChildOutput {
        source: Source,
        buf: Vec<u8>,
        /// No newline in `buf[..scanned]`.
        scanned: usize,
        /// How the stream ended, once it has.
        end: Option<NoLine>,
    }

    impl ChildOutput {
        /// Reads `pipe`.
        pub fn new(pipe: ChildStdout) -> Self {
            ChildOutput {
                source: Source::new(pipe),
                buf: Vec::with_capacity(1 << 16),
                scanned: 0,
                end: None,
            }
        }

        /// The next line, without its newline, waiting until `deadline` for it.
        pub fn line(&mut self, deadline: Instant) -> Result<String, NoLine> {
            loop {
                if let Some(at) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
                    let at = self.scanned + at;
                    if at > MAX_LINE {
                        return Err(NoLine::TooLong);
                    }
                    return Ok(self.take(at, at + 1));
                }
                self.scanned = self.buf.len();
                if self.buf.len() > MAX_LINE {
                    return Err(NoLine::TooLong);
                }
                if let Some(end) = &self.end {
                    if !self.buf.is_empty() {
                        let all = self.buf.len();
                        return Ok(self.take(all, all));
                    }
                    return Err(end.clone());
                }
                match self.source.fill(&mut self.buf, deadline) {
                    Ok(Fill::Data) => {}
                    Ok(Fill::Closed) => self.end = Some(NoLine::Closed),
                    Ok(Fill::Timeout) => return Err(NoLine::Timeout),
                    Err(e) => self.end = Some(NoLine::Failed(e.to_string())),
                }
            }
        }

        /// The text of `buf[..end]`, consuming `buf[..consumed]`.
        fn take(&mut self, end: usize, consumed: usize) -> String {
            let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            self.buf.drain(..consumed);
            self.scanned = 0;
            text
        }
    }

    /// Reading the pipe directly, after poll(2) says there is something to read, through a
    /// buffer of its own (zeroed once, not per read).
    #[cfg(unix)]
    struct Source {
        pipe: ChildStdout,
        chunk: Box<[u8]>,
    }

    #[cfg(unix)]
    impl Source {
        fn new(pipe: ChildStdout) -> Self {
            Source {
                pipe,
                chunk: vec![0u8; 1 << 16].into_boxed_slice(),
            }
        }

        fn fill(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> io::Result<Fill> {
            use std::os::fd::AsRawFd;
            let mut fds = [libc::pollfd {
                fd: self.pipe.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            if !poll(&mut fds, deadline)? {
                return Ok(Fill::Timeout);
            }
            self.read_available(buf)
        }

        /// Reads what one read(2) gives; call only when the pipe is readable (or closed).
        fn read_available(&mut self, buf: &mut Vec<u8>) -> io::Result<Fill> {
            loop {
                match self.pipe.read(&mut self.chunk) {
                    Ok(0) => return Ok(Fill::Closed),
                    Ok(n) => {
                        buf.extend_from_slice(&self.chunk[..n]);
                        return Ok(Fill::Data);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// poll(2) on `fds` until one is ready (true) or `deadline` passes (false).
    #[cfg(unix)]
    fn poll(fds: &mut [libc::pollfd], deadline: Instant) -> io::Result<bool> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Rounded up, so that a wait never ends before its deadline.
            let ms = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
            // SAFETY: poll(2) reads and writes exactly `fds.len()` pollfd structs in `fds`.
            let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if r > 0 {
                return Ok(true);
            }
            if r == 0 {
                if Instant::now() >= deadline {
                    return Ok(false);
                }
                continue;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Waits until `stdin` has room or `deadline` passes (false), reading what the child writes
    /// on its stdout meanwhile into `out`, so that a child blocked on a full stdout goes on.
    #[cfg(unix)]
    pub fn wait_writable(
        stdin: &super::input::ChildInput,
        out: &mut ChildOutput,
        deadline: Instant,
    ) -> io::Result<bool> {
        use std::os::fd::AsRawFd;
        loop {
            let mut fds = [
                libc::pollfd {
                    fd: stdin.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                },
                libc::pollfd {
                    // A negative descriptor is ignored: an ended stdout has nothing to read.
                    fd: if out.end.is_some() {
                        -1
                    } else {
                        out.source.pipe.as_raw_fd()
                    },
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            if !poll(&mut fds, deadline)? {
                return Ok(false);
            }
            if fds[1].revents != 0 {
                match out.source.read_available(&mut out.buf) {
                    Ok(Fill::Data) | Ok(Fill::Timeout) => {}
                    Ok(Fill::Closed) => out.end = Some(NoLine::Closed),
                    Err(e) => out.end = Some(NoLine::Failed(e.to_string())),
                }
            }
            if fds[0].revents != 0 {
                return Ok(true);
            }
        }
    }

    /// A thread reading the pipe, forwarding what it reads.
    #[cfg(not(unix))]
    struct Source(std::sync::mpsc::Receiver<io::Result<Vec<u8>>>);

    #[cfg(not(unix))]
    impl Source {
        fn new(mut pipe: ChildStdout) -> Self {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || loop {
                let mut chunk = vec![0u8; 1 << 16];
                match pipe.read(&mut chunk) {
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() || n == 0 {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            });
            Source(rx)
        }

        fn fill(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> io::Result<Fill> {
            use std::sync::mpsc::RecvTimeoutError;
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(Ok(chunk)) if chunk.is_empty() => Ok(Fill::Closed),
                Ok(Ok(chunk)) => {
                    buf.extend_from_slice(&chunk);
                    Ok(Fill::Data)
                }
                Ok(Err(e)) => Err(e),
                Err(RecvTimeoutError::Timeout) => Ok(Fill::Timeout),
                Err(RecvTimeoutError::Disconnected) => Ok(Fill::Closed),
            }
        }
    }

    /// Elsewhere writes block (a thread drains stdout meanwhile): there is always room.
    #[cfg(not(unix))]
    pub fn wait_writable(
        _stdin: &super::input::ChildInput,
        _out: &mut ChildOutput,
        _deadline: Instant,
    ) -> io::Result<bool> {
        Ok(true)
    }
}

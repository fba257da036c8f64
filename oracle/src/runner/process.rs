//! One interpreter process: how it is started (its own process group, a memory limit, death with
//! withstand), the pipes it is spoken to on, and how it is ended.
//!
//! The caller's thread does all the I/O itself with `poll(2)` on non-blocking pipes: requests go
//! out as the pipe takes them (a hung interpreter with a full pipe never blocks the caller),
//! answers and stderr are read whenever the caller waits for an answer. No helper threads, so an
//! answer costs one wake-up, not three hand-offs.
//!
//! Every live interpreter's process group is in a registry, so that [`kill_all`] (called by the
//! binary's signal handler) can end them all; on Linux each interpreter also gets
//! `PR_SET_PDEATHSIG` = `SIGKILL`. The kernel sends that signal when the *thread* that forked the
//! child exits, not the process, so every interpreter is forked by one spawner thread that lives
//! as long as the process: a worker created on a short-lived thread (a test, a `--jobs` thread
//! that ends) and used on another keeps its interpreter.

use std::collections::{BTreeSet, VecDeque};
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use super::proto;

/// How much of the interpreter's stderr is kept for reports.
pub(super) const STDERR_TAIL_BYTES: usize = 4096;

/// How much is read from a pipe at once.
const CHUNK: usize = 64 << 10;

/// How a process is started, beyond the command line.
pub(super) struct Limits {
    /// `RLIMIT_AS` in bytes, or none.
    pub(super) memory: Option<u64>,
}

/// What [`Process::receive`] got.
pub(super) enum Received {
    /// One answer line, without its newline.
    Line(Vec<u8>),
    /// More than the allowed bytes without a newline; the first bytes of it.
    Overlong(Vec<u8>),
    /// The channel closed.
    Eof,
    /// Nothing before the deadline.
    Timeout,
}

/// One interpreter process and its pipes.
pub(super) struct Process {
    child: Child,
    /// The process group: the child's pid (it leads its own group).
    pgid: libc::pid_t,
    /// `None` once the interpreter cannot take more requests (the pipe broke, or it is ending).
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// `None` once stderr reached EOF.
    stderr: Option<ChildStderr>,
    /// Request bytes not written yet, from `pending_at` on.
    pending: Vec<u8>,
    pending_at: usize,
    /// Answer bytes read and not handed out yet; bytes before `scanned` hold no newline.
    input: Vec<u8>,
    scanned: usize,
    /// Where reads land before they are appended to `input`.
    chunk: Box<[u8]>,
    stdout_eof: bool,
    tail: VecDeque<u8>,
    /// The exit status, once the process was reaped.
    status: Option<ExitStatus>,
}

impl Process {
    /// Starts `command` (whose stdio this sets) in its own process group, with `limits`.
    pub(super) fn start(mut command: Command, limits: &Limits) -> io::Result<Process> {
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
        let memory = limits.memory;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the closure runs in the forked child before exec and only makes
        // async-signal-safe system calls (setrlimit, prctl, getppid), allocating nothing.
        unsafe {
            command.pre_exec(move || in_child(memory, parent));
        }
        let (mut child, mut live) = spawn(command)?;
        let pgid = child.id() as libc::pid_t;
        live.insert(pgid);
        drop(live);
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut res = Process {
            child,
            pgid,
            stdin: Some(stdin),
            stdout,
            stderr: Some(stderr),
            pending: Vec::new(),
            pending_at: 0,
            input: Vec::with_capacity(CHUNK),
            scanned: 0,
            chunk: vec![0; CHUNK].into_boxed_slice(),
            stdout_eof: false,
            tail: VecDeque::with_capacity(STDERR_TAIL_BYTES),
            status: None,
        };
        let fds = [
            res.stdin.as_ref().map(|s| s.as_raw_fd()),
            Some(res.stdout.as_raw_fd()),
            res.stderr.as_ref().map(|s| s.as_raw_fd()),
        ];
        for fd in fds.into_iter().flatten() {
            if let Err(e) = set_nonblocking(fd) {
                res.kill();
                return Err(e);
            }
        }
        Ok(res)
    }

    /// The interpreter's process id.
    pub(super) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Closes the interpreter's stdin: a process that gets its program from a file reads nothing.
    pub(super) fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Queues one framed request and writes what the pipe takes now.
    pub(super) fn send(&mut self, source: &str) {
        self.send_framed(source, proto::frame_into);
    }

    /// [`Process::send`] with the length counted in characters (the batch driver's stdin).
    pub(super) fn send_chars(&mut self, source: &str) {
        self.send_framed(source, proto::frame_chars_into);
    }

    fn send_framed(&mut self, source: &str, frame: fn(&mut Vec<u8>, &str)) {
        if self.stdin.is_none() {
            return;
        }
        if self.pending_at == self.pending.len() {
            self.pending.clear();
            self.pending_at = 0;
        }
        frame(&mut self.pending, source);
        self.write_some();
    }

    /// Closes stdin once everything queued is written: the driver then ends by itself.
    fn write_some(&mut self) {
        let Some(stdin) = &mut self.stdin else { return };
        while self.pending_at < self.pending.len() {
            match stdin.write(&self.pending[self.pending_at..]) {
                Ok(0) => break,
                Ok(n) => self.pending_at += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    // The interpreter is gone; reading its channel will say so.
                    self.stdin = None;
                    return;
                }
            }
        }
    }

    /// The next answer line, waiting until `deadline`; a line longer than `max_bytes` is
    /// [`Received::Overlong`]. Meanwhile writes queued requests and drains stderr.
    pub(super) fn receive(&mut self, deadline: Instant, max_bytes: usize) -> Received {
        loop {
            if let Some(pos) = self.input[self.scanned..].iter().position(|&b| b == b'\n') {
                let end = self.scanned + pos;
                let line = self.input[..end].to_vec();
                self.input.drain(..=end);
                self.scanned = 0;
                return Received::Line(line);
            }
            self.scanned = self.input.len();
            if self.input.len() > max_bytes {
                let mut head = std::mem::take(&mut self.input);
                head.truncate(super::GARBAGE_SHOWN_BYTES);
                self.scanned = 0;
                return Received::Overlong(head);
            }
            if self.stdout_eof {
                // A line cut short by EOF: the interpreter died writing it.
                return Received::Eof;
            }
            let now = Instant::now();
            if now >= deadline {
                return Received::Timeout;
            }
            self.wait_for_io(deadline - now, max_bytes);
        }
    }

    /// One `poll` round: waits up to `wait` for any pipe, then does what each is ready for.
    fn wait_for_io(&mut self, wait: Duration, max_bytes: usize) {
        let want_write = self.stdin.is_some() && self.pending_at < self.pending.len();
        let mut fds = [
            pollfd(Some(self.stdout.as_raw_fd()), libc::POLLIN),
            pollfd(self.stderr.as_ref().map(|s| s.as_raw_fd()), libc::POLLIN),
            pollfd(self.stdin.as_ref().filter(|_| want_write).map(|s| s.as_raw_fd()), libc::POLLOUT),
        ];
        // Rounded up, so that a wait never ends just short of the deadline and spins.
        let ms = wait.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: `fds` is a valid array of `pollfd` of the length given.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n <= 0 {
            return; // a timeout, or EINTR: the caller looks at the clock again
        }
        if fds[2].revents != 0 {
            self.write_some();
        }
        if fds[1].revents != 0 {
            self.read_stderr();
        }
        if fds[0].revents != 0 {
            // Read what is there, but not much more than one over-long line.
            let room = max_bytes.saturating_add(1).saturating_sub(self.input.len()).clamp(1, CHUNK);
            match self.stdout.read(&mut self.chunk[..room]) {
                Ok(0) => self.stdout_eof = true,
                Ok(n) => self.input.extend_from_slice(&self.chunk[..n]),
                Err(e) => {
                    if !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) {
                        self.stdout_eof = true;
                    }
                }
            }
        }
    }

    fn read_stderr(&mut self) {
        let Some(stderr) = &mut self.stderr else { return };
        let mut chunk = [0u8; 4096];
        loop {
            match stderr.read(&mut chunk) {
                Ok(0) => {
                    self.stderr = None;
                    return;
                }
                Ok(n) => {
                    self.tail.extend(&chunk[..n]);
                    let excess = self.tail.len().saturating_sub(STDERR_TAIL_BYTES);
                    self.tail.drain(..excess);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.stderr = None;
                    return;
                }
            }
        }
    }

    /// Kills the interpreter's whole process group (if it still runs) and reaps it, so no
    /// zombie and no grandchild is left.
    pub(super) fn kill(&mut self) {
        self.stdin = None;
        if self.status.is_some() {
            return;
        }
        self.kill_group();
        self.status = Some(self.child.wait().unwrap_or_else(|_| ExitStatus::default()));
    }

    /// SIGKILL to the group, and out of the registry. The leader is not reaped yet, so the group
    /// id cannot have been reused by anyone else.
    fn kill_group(&mut self) {
        let mut live = registry();
        // SAFETY: plain system call.
        unsafe { libc::kill(-self.pgid, libc::SIGKILL) };
        live.remove(&self.pgid);
    }

    /// Ends an interpreter that has nothing in flight: closes its stdin (the driver returns),
    /// gives it a moment, then kills what is left of its group.
    pub(super) fn retire(&mut self) {
        self.stdin = None;
        let _ = self.exited_within(Duration::from_millis(500));
        self.kill();
    }

    /// After the channel closed: waits a little for the interpreter to exit by itself and says
    /// how it ended. One that closed its channel but lingers is killed.
    pub(super) fn reap(&mut self) -> String {
        self.stdin = None;
        if let Some(status) = self.status {
            return describe(status);
        }
        let exited = self.exited_within(Duration::from_secs(2));
        self.kill();
        match (exited, self.status) {
            (true, Some(status)) => describe(status),
            _ => "closed its channel without exiting (killed)".to_owned(),
        }
    }

    /// Whether the leader exits within `wait`; it is left unreaped (WNOWAIT), so that its group
    /// can still be killed safely. Reads stderr meanwhile, so a full pipe cannot hold it up.
    fn exited_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_micros(100);
        loop {
            // SAFETY: `info` is a valid out-parameter; WNOWAIT leaves the child waitable.
            let exited = unsafe {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                let rc = libc::waitid(
                    libc::P_PID,
                    self.child.id() as libc::id_t,
                    &mut info,
                    libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
                );
                rc == 0 && info.si_pid() != 0
                    || rc != 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR)
            };
            if exited {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.read_stderr();
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// The last few KiB of stderr. Call after the interpreter is dead: it reads what is left in
    /// the pipe, for a short while (a grandchild may hold the pipe open).
    pub(super) fn stderr_tail(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_millis(500);
        while let Some(fd) = self.stderr.as_ref().map(|s| s.as_raw_fd()) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let mut fds = [pollfd(Some(fd), libc::POLLIN)];
            let ms = (deadline - now).as_millis().max(1) as libc::c_int;
            // SAFETY: a valid one-element array.
            if unsafe { libc::poll(fds.as_mut_ptr(), 1, ms) } == 0 {
                break;
            }
            self.read_stderr();
        }
        let (a, b) = self.tail.as_slices();
        let mut bytes = Vec::with_capacity(self.tail.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        // The cut may fall inside a UTF-8 sequence: drop the continuation bytes it left.
        let start = bytes.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    /// The raw exit status, once reaped.
    pub(super) fn status(&self) -> Option<ExitStatus> {
        self.status
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs in the forked child, before exec.
fn in_child(memory: Option<u64>, parent: libc::pid_t) -> io::Result<()> {
    if let Some(bytes) = memory {
        let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
        // SAFETY: plain system call with a valid pointer.
        if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls.
        unsafe {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the prctl: then nothing would ever kill us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
    Ok(())
}

fn set_nonblocking(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: plain system calls on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn pollfd(fd: Option<libc::c_int>, events: libc::c_short) -> libc::pollfd {
    // A negative descriptor is ignored by poll.
    libc::pollfd { fd: fd.unwrap_or(-1), events, revents: 0 }
}

/// The process groups of every live interpreter.
fn registry() -> MutexGuard<'static, BTreeSet<libc::pid_t>> {
    static LIVE: Mutex<BTreeSet<libc::pid_t>> = Mutex::new(BTreeSet::new());
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends SIGKILL to the process group of every live interpreter; returns how many there were.
/// For a signal handler (run on a thread, not in signal context) about to end withstand.
pub(super) fn kill_all() -> usize {
    let live = registry();
    for &pgid in live.iter() {
        // SAFETY: plain system call.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
    live.len()
}

type SpawnRequest = (Command, Sender<io::Result<Child>>);

/// Forks `command` on the spawner thread. Returns with the registry locked, so that a
/// [`kill_all`] cannot run between the fork and the registration of the child.
fn spawn(command: Command) -> io::Result<(Child, MutexGuard<'static, BTreeSet<libc::pid_t>>)> {
    static SPAWNER: OnceLock<Mutex<Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("withstand-spawner".to_owned())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("the spawner thread starts");
        Mutex::new(tx)
    });
    let live = registry();
    let (reply, answer) = mpsc::channel();
    let gone = || io::Error::other("the spawner thread is gone");
    spawner.lock().unwrap_or_else(|e| e.into_inner()).send((command, reply)).map_err(|_| gone())?;
    let child = answer.recv().map_err(|_| gone())??;
    Ok((child, live))
}

/// `exit status 3`, `killed by signal 9`.
pub(super) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        return format!("killed by signal {signal}");
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// Whether the process group led by `pid` is in the registry of live interpreters.
#[cfg(test)]
pub(super) fn is_registered(pid: u32) -> bool {
    registry().contains(&(pid as libc::pid_t))
}

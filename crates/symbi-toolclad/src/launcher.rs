//! The one seam through which a tool process is started. The executor describes what to run in a
//! [`LaunchSpec`]; a [`Launcher`] runs it and returns what came out. [`NativeLauncher`] runs a
//! plain child; the sandbox issue adds launchers that place the child inside a tier, without the
//! executor changing.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{Pid, PidfdFlags, Signal, WaitId, WaitIdOptions, kill_process_group, pidfd_open, waitid};

/// What to run. Built by the executor; its `Debug` hides argv and environment values, which may
/// carry resolved secrets.
pub struct LaunchSpec<'a> {
    argv: &'a [String],
    env: &'a [(String, String)],
    work_dir: &'a Path,
    timeout: Duration,
    output_cap: usize,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessEnd {
    /// It exited with this code.
    Exited(i32),
    /// A signal it did not cause us to send ended it.
    Signaled(i32),
    /// The timeout passed; its whole process group was killed.
    TimedOut,
    /// stdout plus stderr passed the output cap; its whole process group was killed.
    OutputCapExceeded,
}

/// What came out of a process: at most the output cap of stdout and stderr together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchOutput {
    /// Captured standard output.
    pub stdout: Vec<u8>,
    /// Captured standard error.
    pub stderr: Vec<u8>,
    /// How it ended.
    pub end: ProcessEnd,
}

/// The process could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start `{program}`: {source}")]
pub struct LaunchError {
    program: String,
    #[source]
    source: std::io::Error,
}

/// Starts tool processes. Implementations must run `argv` without a shell, with exactly the
/// given environment, in `work_dir`, and must stop every process the tool started by the
/// timeout or when the output cap is passed.
pub trait Launcher: Send + Sync + fmt::Debug {
    /// Runs `spec` to completion (or containment) and returns its output.
    ///
    /// # Errors
    ///
    /// [`LaunchError`] when the program cannot be started at all.
    fn launch(&self, spec: &LaunchSpec<'_>) -> Result<LaunchOutput, LaunchError>;
}

/// Runs a tool as a plain child process in a new process group: stdin from `/dev/null`, stdout
/// and stderr read concurrently, and on timeout, output overflow or exit, `SIGKILL` to the whole
/// group, so background children and processes that ignore `SIGTERM` do not outlive the call.
///
/// Not contained: processes that leave the group (`setsid`) or exhaust the process table before
/// the group is killed. Those need the sandbox tiers (cgroups, namespaces).
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeLauncher;

impl<'a> LaunchSpec<'a> {
    pub(crate) fn new(
        argv: &'a [String],
        env: &'a [(String, String)],
        work_dir: &'a Path,
        timeout: Duration,
        output_cap: usize,
    ) -> Self {
        Self { argv, env, work_dir, timeout, output_cap }
    }

    /// The argv; the first word is the program (found on the environment's `PATH`).
    pub fn argv(&self) -> &[String] {
        self.argv
    }
    /// The complete environment of the child.
    pub fn env(&self) -> &[(String, String)] {
        self.env
    }
    /// The child's working directory.
    pub fn work_dir(&self) -> &Path {
        self.work_dir
    }
    /// Wall-clock limit.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// Limit on stdout plus stderr, in bytes.
    pub fn output_cap(&self) -> usize {
        self.output_cap
    }
}

impl fmt::Debug for LaunchSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchSpec")
            .field("program", &self.argv.first())
            .field("args", &self.argv.len().saturating_sub(1))
            .field("env_keys", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("work_dir", &self.work_dir)
            .field("timeout", &self.timeout)
            .field("output_cap", &self.output_cap)
            .finish()
    }
}

/// How long to wait for the pipes to drain after the group is killed.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// How often the leader's exit is checked on kernels without pidfds (before Linux 5.3).
const EXIT_POLL: Duration = Duration::from_millis(2);

/// Bytes read from a pipe at a time.
const CHUNK: usize = 16 * 1024;

impl Launcher for NativeLauncher {
    fn launch(&self, spec: &LaunchSpec<'_>) -> Result<LaunchOutput, LaunchError> {
        let program = spec.argv.first().map(String::as_str).unwrap_or_default();
        let start_error = |source| LaunchError { program: program.to_owned(), source };
        #[expect(
            clippy::disallowed_methods,
            reason = "the native launcher is the one place that spawns tool processes"
        )]
        let mut command = Command::new(program);
        command
            .args(spec.argv.get(1..).unwrap_or_default())
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .current_dir(spec.work_dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(start_error)?;
        let deadline = Instant::now() + spec.timeout;
        let leader = Pid::from_child(&child);
        // One thread waits for output, the leader's exit and the deadline in one `poll`: a pidfd
        // turns the exit into a readable descriptor. Helper threads would cost a spawn and a
        // cross-thread wakeup each, which is most of a short tool's overhead on a busy machine.
        let mut pump = Pump {
            streams: [
                Stream::new(child.stdout.take().map(OwnedFd::from)),
                Stream::new(child.stderr.take().map(OwnedFd::from)),
            ],
            exit: pidfd_open(leader, PidfdFlags::empty()).ok(),
            leader,
            budget: spec.output_cap,
        };
        let end = match pump.run(deadline, true) {
            Stop::Exited | Stop::Drained => None,
            Stop::Deadline => Some(ProcessEnd::TimedOut),
            Stop::CapExceeded => Some(ProcessEnd::OutputCapExceeded),
        };
        // The leader is not reaped yet (a pidfd or WNOWAIT only observes its exit), so the group
        // id cannot have been reused: killing it reaches only this tool's processes.
        let _already_gone = kill_process_group(leader, Signal::KILL);
        let status = child.wait().ok();
        // What the killed group wrote before it died; an escaped process holding a pipe open is
        // given up on after the grace period.
        let _ = pump.run(Instant::now() + DRAIN_GRACE, false);
        let end = end.unwrap_or_else(|| match status {
            Some(s) => {
                s.code().map_or_else(|| ProcessEnd::Signaled(s.signal().unwrap_or_default()), ProcessEnd::Exited)
            }
            None => ProcessEnd::Signaled(0),
        });
        let [stdout, stderr] = pump.streams.map(|s| s.buffer);
        Ok(LaunchOutput { stdout, stderr, end })
    }
}

/// The child's pipes and exit, read on the launching thread.
struct Pump {
    streams: [Stream; 2],
    /// A pidfd for the leader, when the kernel has them.
    exit: Option<OwnedFd>,
    leader: Pid,
    /// Output bytes still allowed, shared by both pipes.
    budget: usize,
}

/// One pipe and what was read from it.
struct Stream {
    pipe: Option<File>,
    buffer: Vec<u8>,
}

/// Why [`Pump::run`] returned.
enum Stop {
    /// The leader exited.
    Exited,
    /// Both pipes closed (only when not watching for exit).
    Drained,
    /// The time given passed.
    Deadline,
    /// The output cap was passed.
    CapExceeded,
}

impl Stream {
    fn new(pipe: Option<OwnedFd>) -> Self {
        Self { pipe: pipe.map(File::from), buffer: Vec::new() }
    }
}

impl Pump {
    /// Reads both pipes until `until`; with `watch_exit`, also until the leader exits or the
    /// cap is passed, else until both pipes close.
    fn run(&mut self, until: Instant, watch_exit: bool) -> Stop {
        let mut chunk = vec![0u8; CHUNK];
        loop {
            if watch_exit && self.exit.is_none() && self.leader_exited() {
                return Stop::Exited;
            }
            let open = self.streams.iter().filter(|s| s.pipe.is_some()).count();
            if !watch_exit && open == 0 {
                return Stop::Drained;
            }
            let now = Instant::now();
            if now >= until {
                return Stop::Deadline;
            }
            let mut wait = until - now;
            if watch_exit && self.exit.is_none() {
                wait = wait.min(EXIT_POLL);
            }
            let (ready, exited) = match self.wait(watch_exit, wait) {
                Ok(ready) => ready,
                Err(rustix::io::Errno::INTR) => continue,
                // A failing poll cannot be waited out safely: stop as at the deadline, which
                // kills the group.
                Err(_) => return Stop::Deadline,
            };
            for (stream, ready) in self.streams.iter_mut().zip(ready) {
                if !ready {
                    continue;
                }
                let Some(pipe) = &stream.pipe else { continue };
                let n = match (&*pipe).read(&mut chunk) {
                    Ok(0) | Err(_) => {
                        stream.pipe = None;
                        continue;
                    }
                    Ok(n) => n,
                };
                let granted = n.min(self.budget);
                self.budget -= granted;
                stream.buffer.extend_from_slice(chunk.get(..granted).unwrap_or_default());
                if granted < n {
                    stream.pipe = None;
                    if watch_exit {
                        return Stop::CapExceeded;
                    }
                }
            }
            if exited {
                return Stop::Exited;
            }
        }
    }

    /// Polls the open pipes (and the pidfd when `watch_exit`) for up to `wait`; which pipes are
    /// readable (or closed), and whether the leader exited.
    fn wait(&self, watch_exit: bool, wait: Duration) -> rustix::io::Result<([bool; 2], bool)> {
        let mut fds = Vec::with_capacity(3);
        let mut slots = Vec::with_capacity(3);
        for (i, stream) in self.streams.iter().enumerate() {
            if let Some(pipe) = &stream.pipe {
                fds.push(PollFd::new(pipe, PollFlags::IN));
                slots.push(Some(i));
            }
        }
        if let (true, Some(exit)) = (watch_exit, &self.exit) {
            fds.push(PollFd::new(exit, PollFlags::IN));
            slots.push(None);
        }
        let timeout = Timespec::try_from(wait).unwrap_or(Timespec { tv_sec: i64::MAX, tv_nsec: 0 });
        if fds.is_empty() {
            std::thread::sleep(wait);
            return Ok(([false; 2], false));
        }
        poll(&mut fds, Some(&timeout))?;
        let mut ready = [false; 2];
        let mut exited = false;
        for (fd, slot) in fds.iter().zip(slots) {
            if fd.revents().is_empty() {
                continue;
            }
            match slot.and_then(|i| ready.get_mut(i)) {
                Some(flag) => *flag = true,
                None => exited = true,
            }
        }
        Ok((ready, exited))
    }

    /// Whether the leader has exited, without reaping it (kernels without pidfds).
    fn leader_exited(&self) -> bool {
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        !matches!(waitid(WaitId::Pid(self.leader), options), Ok(None))
    }
}

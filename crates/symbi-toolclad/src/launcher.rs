//! The one seam through which a tool process is started. The executor describes what to run in a
//! [`LaunchSpec`]; a [`Launcher`] runs it and returns what came out. [`NativeLauncher`] runs a
//! plain child; the sandbox issue adds launchers that place the child inside a tier, without the
//! executor changing.

use std::fmt;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

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

/// Messages from the helper threads to the launching thread.
enum Event {
    Exited,
    CapExceeded,
    StreamClosed,
}

/// Output shared between a reader thread and the launching thread, so the launcher can take
/// what was read even if an escaped grandchild keeps the pipe open.
type Buffer = Arc<Mutex<Vec<u8>>>;

/// How long to wait for the pipes to drain after the group is killed.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

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
        let group = Pid::from_child(&child);
        let (events, inbox) = mpsc::channel();
        let budget = Arc::new(AtomicUsize::new(spec.output_cap));
        let stdout = read_capped(child.stdout.take(), &budget, &events);
        let stderr = read_capped(child.stderr.take(), &budget, &events);
        watch_exit(group, events);

        let mut open_streams = 2;
        let end = loop {
            match inbox.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Event::Exited) => break None,
                Ok(Event::CapExceeded) => break Some(ProcessEnd::OutputCapExceeded),
                Ok(Event::StreamClosed) => open_streams -= 1,
                Err(RecvTimeoutError::Timeout) => break Some(ProcessEnd::TimedOut),
                Err(RecvTimeoutError::Disconnected) => break None,
            }
        };
        // The leader is not reaped yet (the watcher waits with WNOWAIT), so the group id cannot
        // have been reused: killing it reaches only this tool's processes.
        let _already_gone = kill_process_group(group, Signal::KILL);
        let status = child.wait().ok();
        let drain_until = Instant::now() + DRAIN_GRACE;
        while open_streams > 0 {
            match inbox.recv_timeout(drain_until.saturating_duration_since(Instant::now())) {
                Ok(Event::StreamClosed) => open_streams -= 1,
                Ok(Event::Exited | Event::CapExceeded) => {}
                Err(_) => break,
            }
        }
        let end = end.unwrap_or_else(|| match status {
            Some(s) => {
                s.code().map_or_else(|| ProcessEnd::Signaled(s.signal().unwrap_or_default()), ProcessEnd::Exited)
            }
            None => ProcessEnd::Signaled(0),
        });
        Ok(LaunchOutput { stdout: take(&stdout), stderr: take(&stderr), end })
    }
}

/// Reads `pipe` on a thread into a shared buffer, drawing on the shared byte budget; reports
/// `CapExceeded` when the budget runs out and `StreamClosed` at end of stream.
fn read_capped(pipe: Option<impl Read + Send + 'static>, budget: &Arc<AtomicUsize>, events: &Sender<Event>) -> Buffer {
    let buffer = Buffer::default();
    let Some(mut pipe) = pipe else {
        let _ = events.send(Event::StreamClosed);
        return buffer;
    };
    let (shared, budget, events) = (Arc::clone(&buffer), Arc::clone(budget), events.clone());
    std::thread::spawn(move || {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let granted = budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| Some(left.saturating_sub(n)))
                .unwrap_or(0)
                .min(n);
            shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(chunk.get(..granted).unwrap_or_default());
            if granted < n {
                let _ = events.send(Event::CapExceeded);
                break;
            }
        }
        let _ = events.send(Event::StreamClosed);
    });
    buffer
}

/// Waits (without reaping) for the group leader to exit and reports it.
fn watch_exit(leader: Pid, events: Sender<Event>) {
    std::thread::spawn(move || {
        let _ = waitid(WaitId::Pid(leader), WaitIdOptions::EXITED | WaitIdOptions::NOWAIT);
        let _ = events.send(Event::Exited);
    });
}

fn take(buffer: &Buffer) -> Vec<u8> {
    std::mem::take(&mut *buffer.lock().unwrap_or_else(PoisonError::into_inner))
}

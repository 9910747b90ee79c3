//! Child processes and the machine: spawning children that cannot outlive the benchmark, waiting
//! for them with their resource usage (peak memory, CPU time), reading a process's memory from
//! `/proc`, and cleaning up (children and the temporary folder) on Ctrl-C or SIGTERM.
//!
//! The only unsafe code of the crate is here: `wait4`, `kill` and `prctl` through libc.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::Duration;

/// What is cleaned up if the benchmark is interrupted.
struct Cleanup {
    pids: Vec<i32>,
    dir: Option<PathBuf>,
}

static CLEANUP: Mutex<Cleanup> = Mutex::new(Cleanup {
    pids: Vec::new(),
    dir: None,
});

/// Removes `dir` if the benchmark is interrupted (None: keep it).
pub fn remove_on_interrupt(dir: Option<PathBuf>) {
    CLEANUP.lock().expect("lock").dir = dir;
}

fn register(pid: i32) {
    CLEANUP.lock().expect("lock").pids.push(pid);
}

fn unregister(pid: i32) {
    CLEANUP.lock().expect("lock").pids.retain(|&p| p != pid);
}

/// On Ctrl-C or SIGTERM: kill the children, remove the temporary folder, exit with 130.
pub fn install_interrupt_handler() {
    std::thread::spawn(|| {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        let cleanup = CLEANUP.lock().expect("lock");
        for &pid in &cleanup.pids {
            kill(pid, libc::SIGKILL);
        }
        // Give the kernel a moment to close the children's files before removing the folder.
        std::thread::sleep(Duration::from_millis(200));
        if let Some(dir) = &cleanup.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        eprintln!("\ninterrupted: children stopped, temporary files removed");
        std::process::exit(130);
    });
}

/// Sends a signal to a process.
pub fn kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Spawns `cmd` so that the child is killed if the benchmark dies (even by SIGKILL), and
/// registers it for cleanup on Ctrl-C. Call from the main thread: the parent-death signal fires
/// when the spawning thread ends.
pub fn spawn(cmd: &mut Command) -> io::Result<Child> {
    // SAFETY: the closure runs in the child between fork and exec and only calls
    // async-signal-safe functions (prctl, getppid, _exit).
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            if libc::getppid() == 1 {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    register(child.id() as i32);
    Ok(child)
}

/// How a child ended, and what it used.
#[derive(Clone, Copy, Debug)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Peak resident memory, in bytes.
    pub max_rss: u64,
    pub user_secs: f64,
    pub sys_secs: f64,
}

impl Exit {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub fn describe(&self) -> String {
        match (self.code, self.signal) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(s)) => format!("signal {s}"),
            _ => "unknown status".to_string(),
        }
    }
}

/// Waits for a child spawned with [`spawn`] and returns its resource usage (`wait4`).
pub fn wait(child: Child) -> io::Result<Exit> {
    let pid = child.id() as i32;
    let exit = wait4(pid, 0)?.expect("a blocking wait4 returns the child");
    drop(child);
    Ok(exit)
}

/// `wait4` on `pid`; `None` when `flags` has WNOHANG and the child is still running.
fn wait4(pid: i32, flags: libc::c_int) -> io::Result<Option<Exit>> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = loop {
        // SAFETY: the pointers are to live locals of the right types.
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r == -1 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            unregister(pid);
            return Err(e);
        }
        break r;
    };
    if r == 0 {
        return Ok(None);
    }
    unregister(pid);
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Some(Exit {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        max_rss: usage.ru_maxrss as u64 * 1024,
        user_secs: tv(usage.ru_utime),
        sys_secs: tv(usage.ru_stime),
    }))
}

/// Stops a child: SIGTERM, then SIGKILL if it has not exited after `grace`.
pub fn stop(child: Child, grace: Duration) -> io::Result<Exit> {
    let pid = child.id() as i32;
    kill(pid, libc::SIGTERM);
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if let Some(exit) = wait4(pid, libc::WNOHANG)? {
            return Ok(exit);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(pid, libc::SIGKILL);
    wait(child)
}

/// The `key: value kB` lines of `/proc/<pid>/status`, in bytes.
pub fn proc_status(pid: u32) -> io::Result<BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim();
            if let Some(kb) = v.strip_suffix(" kB")
                && let Ok(n) = kb.trim().parse::<u64>()
            {
                out.insert(k.to_string(), n * 1024);
            }
        }
    }
    Ok(out)
}

/// The machine: CPU model, cores, memory.
pub fn machine() -> (String, usize, u64) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .and_then(|v| v.trim().strip_suffix(" kB"))
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
        })
        .unwrap_or(0)
        * 1024;
    (model, cores, mem)
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Total size of the files under `path`.
pub fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    if !meta.is_dir() {
        return 0;
    }
    std::fs::read_dir(path)
        .map(|rd| rd.filter_map(Result::ok).map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}

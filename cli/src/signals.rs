//! Ending withstand ends its interpreters: SIGINT, SIGTERM and SIGHUP kill every worker's process
//! group, then withstand dies of the same signal (so the shell sees the conventional status,
//! 130 for Ctrl-C, 143 for SIGTERM); the normal end of `main`, and a panic unwinding out of it,
//! kill them too.
//!
//! Workers run in process groups of their own (`oracle::runner`), so a Ctrl-C at the terminal
//! no longer reaches them by itself: this module is what stops them. SIGKILL cannot be caught; on
//! Linux the kernel kills each interpreter then (`PR_SET_PDEATHSIG`, set by the runner).
//!
//! The handler is a thread that `signal-hook` wakes, not code run in signal context, so it may
//! lock and allocate like any other thread.

use std::thread;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Kills every worker when dropped: at the end of `main`, or while a panic unwinds out of it.
#[must_use = "the workers are killed when the guard is dropped"]
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        oracle::runner::kill_all_workers();
    }
}

/// Installs the signal handler thread; keep the guard for the life of `main`.
pub fn install() -> Guard {
    match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(mut signals) => {
            let spawned = thread::Builder::new().name("withstand-signals".to_owned()).spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    oracle::runner::kill_all_workers();
                    // Dies of the signal itself; exit as the shell would report it if that fails.
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
            if let Err(err) = spawned {
                eprintln!(
                    "withstand: warning: no signal handler ({err}): an interrupted run may leave interpreters behind"
                );
            }
        }
        Err(err) => {
            eprintln!("withstand: warning: no signal handler ({err}): an interrupted run may leave interpreters behind")
        }
    }
    Guard(())
}

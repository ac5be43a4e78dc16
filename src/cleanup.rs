//! Temporary outputs that must not outlive an interrupted command.
//!
//! Writers that build an output beside its target (`build-iso`'s temporary
//! image, `repo`'s temporary metadata directory) [`register`] the temporary
//! path and move it into place with [`Registered::commit`]. Commands that
//! write such outputs call [`install`] first: on `SIGINT`, `SIGTERM` or
//! `SIGHUP` a background thread removes every registered path, blocks any
//! further commit, and then lets the signal take its default effect (the
//! process ends as killed by that signal). A commit and the clean-up never
//! overlap, so the target is either the previous file or the complete new
//! one. `SIGKILL` cannot be caught: then the temporary file stays, the
//! target is still intact, and the next run of the same command tidies up.
//!
//! [`install`] also ignores `SIGXFSZ`, so writing past a file size limit
//! (`ulimit -f`) fails with `EFBIG` — an error the writer reports and cleans
//! up after — instead of killing the process with a partial temporary file.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

struct State {
    paths: Vec<(u64, PathBuf)>,
    next: u64,
    interrupted: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    paths: Vec::new(),
    next: 0,
    interrupted: false,
});

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A registered temporary path. Dropping it unregisters the path (removing
/// it on errors stays the owner's job).
#[derive(Debug)]
pub struct Registered {
    id: u64,
}

/// Registers a temporary file or directory to remove if a signal interrupts the process.
/// Register before creating the path, so that no signal can come between
/// its creation and its registration (the path must be one only this
/// process would create, e.g. with the process id in its name).
pub fn register(path: &Path) -> Registered {
    let mut st = state();
    let id = st.next;
    st.next += 1;
    st.paths.push((id, path.to_path_buf()));
    Registered { id }
}

impl Registered {
    /// Runs `put_in_place` (the rename of the temporary path onto the
    /// target) so that a signal's clean-up cannot run at the same time, and
    /// unregisters the path. After a signal has been handled it does not
    /// run `put_in_place` and returns `interrupted()` instead.
    pub fn commit<T, E>(
        &self,
        interrupted: impl FnOnce() -> E,
        put_in_place: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut st = state();
        if st.interrupted {
            return Err(interrupted());
        }
        let result = put_in_place();
        st.paths.retain(|(id, _)| *id != self.id);
        result
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        state().paths.retain(|(id, _)| *id != self.id);
    }
}

/// Removes every registered path and blocks further commits. Returns the
/// lock, to be held until the process ends.
fn remove_all() -> MutexGuard<'static, State> {
    let mut st = state();
    st.interrupted = true;
    for (_, path) in st.paths.drain(..) {
        match std::fs::symlink_metadata(&path) {
            Ok(md) if md.is_dir() => remove_dir(&path),
            Ok(_) => {
                let _ = std::fs::remove_file(&path);
            }
            Err(_) => {}
        }
    }
    st
}

/// Removes a temporary directory that other threads may still be writing
/// into: it is first renamed away (their next file creations there fail),
/// then removed, a few times if a file appeared meanwhile.
fn remove_dir(path: &Path) {
    let mut doomed = path.as_os_str().to_owned();
    doomed.push(".interrupted");
    let doomed = PathBuf::from(doomed);
    let target = if std::fs::rename(path, &doomed).is_ok() {
        doomed
    } else {
        path.to_path_buf()
    };
    for _ in 0..10 {
        match std::fs::remove_dir_all(&target) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            _ => return,
        }
    }
}

/// Installs the signal handling described in the module documentation
/// (once per process; later calls do nothing).
pub fn install() -> io::Result<()> {
    static DONE: OnceLock<()> = OnceLock::new();
    if DONE.get().is_some() {
        return Ok(());
    }
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
    // A registered handler (rather than the default action) makes a write
    // past RLIMIT_FSIZE return EFBIG.
    signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)))?;
    // A signal ignored when the process started stays ignored (`nohup`, or
    // SIGINT for a background job of a script): it was meant not to stop us.
    let wanted: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&s| !ignored_at_start(s))
        .collect();
    let mut signals = signal_hook::iterator::Signals::new(wanted)?;
    std::thread::Builder::new()
        .name("kslint-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let _held = remove_all();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        })?;
    let _ = DONE.set(());
    Ok(())
}

/// Whether `signal` is set to be ignored (queried, not changed).
fn ignored_at_start(signal: i32) -> bool {
    // SAFETY: an all-zero `sigaction` is a valid value of that plain C
    // struct, and with a null new action `sigaction` only writes the current
    // one into `old`, which lives for the whole call.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_tracks_and_commits() {
        let dir = std::env::temp_dir().join(format!("kslint-cleanup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.tmp");
        std::fs::write(&a, b"x").unwrap();
        let reg = register(&a);
        assert!(state().paths.iter().any(|(_, p)| p == &a));
        let moved = dir.join("a");
        reg.commit(
            || io::Error::other("interrupted"),
            || std::fs::rename(&a, &moved),
        )
        .unwrap();
        assert!(!state().paths.iter().any(|(_, p)| p == &a));
        assert!(moved.exists());
        let b = dir.join("b.tmp");
        let reg_b = register(&b);
        drop(reg_b);
        assert!(!state().paths.iter().any(|(_, p)| p == &b));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ignored_signals_are_recognised() {
        // SIGTERM is not ignored in a test process; SIGPIPE is, by the Rust runtime.
        assert!(!ignored_at_start(libc::SIGTERM));
        assert!(ignored_at_start(libc::SIGPIPE));
    }
}

//! The PySyncObj adapter: the `pysyncobj` package from PyPI (the version pinned in
//! `impl_adapter/pysyncobj/requirements.txt`) behind the adapter protocol. The Python adapter
//! (`impl_adapter/pysyncobj/adapter.py`) is embedded in raftcheck and written to its build
//! directory on first use (next to the raftcheck executable, or `RAFTCHECK_BUILD_DIR`); raftcheck
//! runs it with `python3` (or `RAFTCHECK_PYTHON`), after checking that this Python has the pinned
//! package. `RAFTCHECK_PYSYNCOBJ_ADAPTER` names another adapter script to run instead (an edited
//! copy, say).

use std::path::PathBuf;
use std::process::Command;

use crate::AdapterError;

/// The adapter script, as committed.
pub const SCRIPT: &str = include_str!("../pysyncobj/adapter.py");
/// The pip requirements file pinning the package.
pub const REQUIREMENTS: &str = include_str!("../pysyncobj/requirements.txt");
/// The environment variable naming the Python interpreter (default `python3`).
pub const PYTHON_VARIABLE: &str = "RAFTCHECK_PYTHON";
/// The environment variable naming an adapter script to run instead of the embedded one.
pub const SCRIPT_VARIABLE: &str = "RAFTCHECK_PYSYNCOBJ_ADAPTER";
/// How to install the package.
pub const PIP_INSTALL: &str = "python3 -m pip install -r impl_adapter/pysyncobj/requirements.txt";

/// The pinned version of `pysyncobj` (from the requirements file).
pub fn pinned_version() -> &'static str {
    REQUIREMENTS
        .lines()
        .find_map(|line| line.trim().strip_prefix("pysyncobj=="))
        .map(str::trim)
        .expect("requirements.txt pins pysyncobj==VERSION")
}

/// The Python interpreter to run the adapter with.
pub fn python() -> String {
    match std::env::var(PYTHON_VARIABLE) {
        Ok(p) if !p.trim().is_empty() => p.trim().to_string(),
        _ => "python3".to_string(),
    }
}

fn setup(message: String) -> AdapterError {
    AdapterError::Setup(message)
}

/// Checks that the interpreter runs and has the pinned package, and returns the program and
/// arguments that start the adapter.
pub fn command() -> Result<(String, Vec<String>), AdapterError> {
    let python = python();
    let probe = Command::new(&python)
        .arg("-c")
        .arg("import pysyncobj.version as v; print(v.VERSION)")
        .output()
        .map_err(|e| {
            setup(format!(
                "cannot run {python} for the PySyncObj adapter: {e}; install Python 3 \
                 (apt-get install python3 python3-pip) or name an interpreter in \
                 {PYTHON_VARIABLE}"
            ))
        })?;
    let pinned = pinned_version();
    if !probe.status.success() {
        let stderr = String::from_utf8_lossy(&probe.stderr);
        let last = stderr.lines().last().unwrap_or("").trim().to_string();
        return Err(setup(format!(
            "{python} has no pysyncobj package ({last}); install the pinned version with \
             `{PIP_INSTALL}` (pysyncobj=={pinned})"
        )));
    }
    let found = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    if found != pinned {
        return Err(setup(format!(
            "{python} has pysyncobj {found}, but the adapter is pinned to {pinned}; install it \
             with `{PIP_INSTALL}`"
        )));
    }
    Ok((python, vec![script()?.display().to_string()]))
}

/// The adapter script to run: the override, or the embedded one written to the build directory.
fn script() -> Result<PathBuf, AdapterError> {
    if let Some(path) = std::env::var_os(SCRIPT_VARIABLE) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(setup(format!(
                "{SCRIPT_VARIABLE} names {}, which is not a file",
                path.display()
            )));
        }
        return Ok(path);
    }
    let dir = crate::etcd::build_root();
    let path = dir.join(format!(
        "raftcheck-pysyncobj-{:016x}.py",
        fnv1a(SCRIPT.as_bytes())
    ));
    if std::fs::read(&path).ok().as_deref() != Some(SCRIPT.as_bytes()) {
        let partial = PathBuf::from(format!("{}.{}.partial", path.display(), std::process::id()));
        std::fs::write(&partial, SCRIPT)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| setup(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(path)
}

/// A stable hash of the script, so each version of it gets its own file.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_read_from_the_requirements() {
        assert_eq!(pinned_version(), "0.3.17");
    }
}

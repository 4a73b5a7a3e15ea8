//! The etcd adapter: etcd's Go raft package (`go.etcd.io/etcd/raft`, 3.4) behind the adapter
//! protocol. The Go sources live in `impl_adapter/etcd/` and are embedded in raftcheck; on first
//! use in a process raftcheck builds them with the Go toolchain in GOPATH mode, offline, into
//! its build directory (next to the raftcheck executable, or `RAFTCHECK_BUILD_DIR`). Go's build
//! cache makes later builds instant; a changed source or GOPATH gives a new build.
//!
//! Where the raft sources come from: the GOPATH entries in `RAFTCHECK_ETCD_GOPATH` (a
//! colon-separated list — point it at your fork), then Debian's `/usr/share/gocode`
//! (`apt-get install golang-etcd-server-dev`).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use siphasher::sip::SipHasher13;

use crate::AdapterError;

include!(concat!(env!("OUT_DIR"), "/etcd_sources.rs"));

/// The environment variable naming GOPATH entries searched before Debian's.
pub const GOPATH_VARIABLE: &str = "RAFTCHECK_ETCD_GOPATH";
/// The environment variable naming the build directory.
pub const BUILD_DIR_VARIABLE: &str = "RAFTCHECK_BUILD_DIR";
/// Debian's GOPATH for `golang-*-dev` source packages.
pub const DEBIAN_GOPATH: &str = "/usr/share/gocode";
/// The apt command that installs what the build needs.
pub const APT_INSTALL: &str = "apt-get install golang-go golang-etcd-server-dev";

static BUILT: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The GOPATH the build uses.
pub fn gopath() -> String {
    match std::env::var(GOPATH_VARIABLE) {
        Ok(user) if !user.trim().is_empty() => format!("{}:{DEBIAN_GOPATH}", user.trim()),
        _ => DEBIAN_GOPATH.to_string(),
    }
}

pub(crate) fn build_root() -> PathBuf {
    if let Some(dir) = std::env::var_os(BUILD_DIR_VARIABLE) {
        return PathBuf::from(dir);
    }
    let candidates = [
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf)),
        std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("raftcheck")),
        std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/raftcheck")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| {
            std::fs::create_dir_all(dir).is_ok()
                && tempfile_in(dir).is_some_and(|f| std::fs::remove_file(f).is_ok())
        })
        .unwrap_or_else(std::env::temp_dir)
}

fn tempfile_in(dir: &Path) -> Option<PathBuf> {
    let probe = dir.join(format!(".raftcheck-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").ok().map(|_| probe)
}

fn setup(message: String) -> AdapterError {
    AdapterError::Setup(message)
}

/// Builds the etcd adapter (once per process) and returns the path of its binary.
pub fn ensure_built() -> Result<PathBuf, AdapterError> {
    let mut built = BUILT.lock().expect("build lock");
    if let Some(path) = built.as_ref() {
        return Ok(path.clone());
    }
    let path = build()?;
    *built = Some(path.clone());
    Ok(path)
}

fn build() -> Result<PathBuf, AdapterError> {
    if SOURCES.is_empty() {
        return Err(setup(
            "this raftcheck was built without the etcd adapter's Go sources".into(),
        ));
    }
    let gopath = gopath();
    let mut h = SipHasher13::new_with_keys(3, 5);
    SOURCES.hash(&mut h);
    gopath.hash(&mut h);
    let root = build_root();
    let dir = root.join(format!("etcd-adapter-{:016x}", h.finish()));
    let src = dir.join("src");
    std::fs::create_dir_all(&src)
        .map_err(|e| setup(format!("cannot create {}: {e}", src.display())))?;
    for (name, text) in SOURCES {
        std::fs::write(src.join(name), text)
            .map_err(|e| setup(format!("cannot write {}: {e}", src.join(name).display())))?;
    }
    let binary = dir.join("raftcheck-etcd");
    let partial = dir.join(format!("raftcheck-etcd.{}.partial", std::process::id()));
    let output = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .arg(".")
        .current_dir(&src)
        .env("GO111MODULE", "off")
        .env("CGO_ENABLED", "0")
        .env("GOPATH", &gopath)
        .env("GOCACHE", root.join("go-build-cache"))
        .env("GOFLAGS", "")
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(setup(format!(
                "the etcd adapter needs Go, which is not installed: {APT_INSTALL}"
            )))
        }
        Err(e) => return Err(setup(format!("cannot run go build: {e}"))),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("go.etcd.io/etcd/raft") && stderr.contains("cannot find package") {
            return Err(setup(format!(
                "the etcd raft sources are not in GOPATH={gopath}: {APT_INSTALL} \
                 (or set {GOPATH_VARIABLE} to a GOPATH holding go.etcd.io/etcd/raft, e.g. your \
                 fork)\n{stderr}"
            )));
        }
        return Err(setup(format!(
            "building the etcd adapter failed (GOPATH={gopath}):\n{stderr}"
        )));
    }
    std::fs::rename(&partial, &binary)
        .map_err(|e| setup(format!("cannot install {}: {e}", binary.display())))?;
    Ok(binary)
}

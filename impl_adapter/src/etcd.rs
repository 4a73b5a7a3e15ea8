//! The etcd adapters: etcd's Go raft package behind the adapter protocol, in two versions built
//! from one source tree ([`EtcdVersion`]). The Go sources live in `impl_adapter/etcd/` and are
//! embedded in raftcheck; on first use in a process raftcheck writes them to its build directory
//! (next to the raftcheck executable, or `RAFTCHECK_BUILD_DIR`) and builds them with the Go
//! toolchain. Go's build cache makes later builds instant; a changed source, GOPATH or version
//! gives a new build.
//!
//! - **3.4** (`go.etcd.io/etcd/raft`, Debian's 3.4.23): GOPATH mode, offline. The raft sources
//!   come from the GOPATH entries in `RAFTCHECK_ETCD_GOPATH` (a colon-separated list — point it
//!   at your fork), then Debian's `/usr/share/gocode` (`apt-get install golang-etcd-server-dev`).
//! - **v3.6** (`go.etcd.io/raft/v3` v3.6.0, pinned by the adapter's `go.mod` and `go.sum`):
//!   module mode with `-mod=readonly` and the build tag `raft36`, the sources' raft imports
//!   rewritten to `go.etcd.io/raft/v3` ([`rewrite_imports`]). The module comes from Go's module
//!   cache, or from the module proxy on first use (`go mod download` in `impl_adapter/etcd`
//!   fills the cache ahead of time).

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

/// The import path prefix of etcd 3.4's raft packages, as the sources spell it.
pub const RAFT_3_4_IMPORT: &str = "go.etcd.io/etcd/raft";
/// The import path prefix of etcd raft v3.6's packages.
pub const RAFT_3_6_IMPORT: &str = "go.etcd.io/raft/v3";

/// Which etcd raft the adapter is built against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EtcdVersion {
    /// etcd raft 3.4 (`go.etcd.io/etcd/raft`), from Debian's sources in GOPATH mode; checked
    /// against the spec flavour `etcd`.
    V3_4,
    /// etcd raft v3.6.0 (`go.etcd.io/raft/v3`), a pinned Go module; checked against the spec
    /// flavour `etcd-3.6`.
    V3_6,
}

impl EtcdVersion {
    /// Both versions, oldest first.
    pub const ALL: [EtcdVersion; 2] = [EtcdVersion::V3_4, EtcdVersion::V3_6];

    /// The version as users name it: `3.4`, `3.6`.
    pub fn name(self) -> &'static str {
        match self {
            EtcdVersion::V3_4 => "3.4",
            EtcdVersion::V3_6 => "3.6",
        }
    }

    fn index(self) -> usize {
        match self {
            EtcdVersion::V3_4 => 0,
            EtcdVersion::V3_6 => 1,
        }
    }
}

static BUILT: Mutex<[Option<PathBuf>; 2]> = Mutex::new([None, None]);

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

/// Builds the etcd 3.4 adapter (once per process) and returns the path of its binary.
pub fn ensure_built() -> Result<PathBuf, AdapterError> {
    ensure_built_version(EtcdVersion::V3_4)
}

/// Builds the etcd adapter for one raft version (once per process) and returns the path of its
/// binary.
pub fn ensure_built_version(version: EtcdVersion) -> Result<PathBuf, AdapterError> {
    let mut built = BUILT.lock().expect("build lock");
    if let Some(path) = built[version.index()].as_ref() {
        return Ok(path.clone());
    }
    let path = build(version)?;
    built[version.index()] = Some(path.clone());
    Ok(path)
}

/// The source text as the v3.6 build compiles it: every import of a 3.4 raft package
/// (`"go.etcd.io/etcd/raft"`, `"go.etcd.io/etcd/raft/raftpb"`, ...) names the same package of
/// `go.etcd.io/raft/v3`, which keeps the 3.4 layout. Only quoted import paths are touched, so
/// comments naming the 3.4 package stay as they are.
pub fn rewrite_imports(text: &str) -> String {
    text.replace(
        &format!("\"{RAFT_3_4_IMPORT}"),
        &format!("\"{RAFT_3_6_IMPORT}"),
    )
}

fn build(version: EtcdVersion) -> Result<PathBuf, AdapterError> {
    if SOURCES.is_empty() {
        return Err(setup(
            "this raftcheck was built without the etcd adapter's Go sources".into(),
        ));
    }
    let gopath = gopath();
    let mut h = SipHasher13::new_with_keys(3, 5);
    SOURCES.hash(&mut h);
    match version {
        EtcdVersion::V3_4 => gopath.hash(&mut h),
        EtcdVersion::V3_6 => (version.name(), GO_MOD, GO_SUM).hash(&mut h),
    }
    let root = build_root();
    let dir = root.join(match version {
        EtcdVersion::V3_4 => format!("etcd-adapter-{:016x}", h.finish()),
        EtcdVersion::V3_6 => format!("etcd-adapter-v3.6-{:016x}", h.finish()),
    });
    let src = dir.join("src");
    std::fs::create_dir_all(&src)
        .map_err(|e| setup(format!("cannot create {}: {e}", src.display())))?;
    let write = |name: &str, text: &str| {
        std::fs::write(src.join(name), text)
            .map_err(|e| setup(format!("cannot write {}: {e}", src.join(name).display())))
    };
    for (name, text) in SOURCES {
        match version {
            EtcdVersion::V3_4 => write(name, text)?,
            EtcdVersion::V3_6 => write(name, &rewrite_imports(text))?,
        }
    }
    if version == EtcdVersion::V3_6 {
        write("go.mod", GO_MOD)?;
        write("go.sum", GO_SUM)?;
    }
    let binary = dir.join("raftcheck-etcd");
    let partial = dir.join(format!("raftcheck-etcd.{}.partial", std::process::id()));
    let mut command = Command::new("go");
    command
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .current_dir(&src)
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", root.join("go-build-cache"));
    match version {
        EtcdVersion::V3_4 => command
            .arg(".")
            .env("GO111MODULE", "off")
            .env("GOPATH", &gopath)
            .env("GOFLAGS", ""),
        EtcdVersion::V3_6 => command
            .args(["-tags", "raft36", "."])
            .env("GO111MODULE", "on")
            .env("GOFLAGS", "-mod=readonly"),
    };
    let output = command.output();
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
        if version == EtcdVersion::V3_6 {
            return Err(setup(format!(
                "building the etcd v3.6 adapter failed: Go could not build against \
                 {RAFT_3_6_IMPORT} as pinned by impl_adapter/etcd/go.mod (the module comes from \
                 Go's module cache or proxy: run `go mod download` in impl_adapter/etcd while \
                 online, or set GOPROXY/GOMODCACHE)\n{stderr}"
            )));
        }
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

//! `cargo bench --bench spec_speed`: spec-only unique states per second of raftcheck's spec at
//! the default spec-only bounds (raft-rs flavour, pre-vote off), with and without symmetry
//! reduction, against Stateright's own bundled Raft example (`examples/raft.rs` of the
//! stateright crate raftcheck depends on, 3 servers), all in one run.
//!
//! The example is not part of this repository: at run time the bench copies it from the
//! stateright source in the cargo registry into a scratch crate under `target/`, builds it with
//! cargo against the same stateright version, and runs its own `check 3 DEPTH` command
//! (`SPEED_STATERIGHT_DEPTH`, 10 by default; its depth counts the initial state as 1). It runs
//! on as many threads as the machine has cores (its choice); raftcheck's spec-only check runs
//! on one and on as many as the machine has cores (its default). So the table gives states per
//! wall second and per CPU second (user + system). The four rows run interleaved in
//! `SPEED_ROUNDS` rounds (3 by default), and each row reports its fastest round.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use raftcheck::engine::spec_only::{check, Strategy};
use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};

const STATERIGHT: &str = "stateright-0.31.0";

/// CPU seconds (user + system) used so far by this process, or by its waited-for children.
fn cpu_seconds(children: bool) -> f64 {
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

struct Row {
    name: String,
    unique: u64,
    wall: f64,
    cpu: f64,
}

impl Row {
    fn per_wall(&self) -> f64 {
        self.unique as f64 / self.wall
    }
    fn per_cpu(&self) -> f64 {
        self.unique as f64 / self.cpu
    }
}

fn raftcheck_row(symmetry: bool, threads: usize) -> Row {
    let bounds = Bounds {
        depth: 10,
        ..Bounds::default()
    };
    let mut model = RaftModel::new(bounds, Flavour::raft_rs(), Mode::SpecOnly);
    if symmetry {
        model = model.with_symmetry();
    }
    let cpu = cpu_seconds(false);
    let started = Instant::now();
    let outcome = check(model, Strategy::Bfs, threads);
    Row {
        name: format!(
            "raftcheck spec, raft-rs flavour, depth 10, {threads} thread{}{}",
            if threads == 1 { "" } else { "s" },
            if symmetry { ", --symmetry" } else { "" }
        ),
        unique: outcome.unique_states as u64,
        wall: started.elapsed().as_secs_f64(),
        cpu: cpu_seconds(false) - cpu,
    }
}

/// `examples/raft.rs` of the stateright crate in the cargo registry.
fn example_source() -> Result<PathBuf, String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = home.join("registry").join("src");
    let dirs = std::fs::read_dir(&registry)
        .map_err(|e| format!("cannot read {}: {e}", registry.display()))?;
    for dir in dirs.flatten() {
        let candidate = dir.path().join(STATERIGHT).join("examples").join("raft.rs");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "no {STATERIGHT}/examples/raft.rs under {}",
        registry.display()
    ))
}

/// Builds the example in a scratch crate under `target/` and returns its binary.
fn build_example() -> Result<PathBuf, String> {
    let scratch = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("stateright-raft");
    std::fs::create_dir_all(scratch.join("src")).map_err(|e| e.to_string())?;
    std::fs::copy(example_source()?, scratch.join("src").join("main.rs"))
        .map_err(|e| e.to_string())?;
    // The example's own dev-dependencies (stateright's Cargo.toml), stateright pinned to the
    // version raftcheck uses.
    let manifest = "[package]\nname = \"stateright-raft-example\"\nversion = \"0.0.0\"\n\
         edition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n\
         stateright = \"=0.31.0\"\nenv_logger = \"0.11\"\nnum_cpus = \"1.17\"\n\
         pico-args = \"0.5\"\n";
    std::fs::write(scratch.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet"])
        .current_dir(&scratch)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the example failed: {status}"));
    }
    Ok(scratch
        .join("target")
        .join("release")
        .join("stateright-raft-example"))
}

/// Runs the example's `check 3 depth` and reads the unique count of its `Done.` line.
fn stateright_row(binary: &Path, depth: usize) -> Result<Row, String> {
    let cpu = cpu_seconds(true);
    let started = Instant::now();
    let output = Command::new(binary)
        .args(["check", "3", &depth.to_string()])
        .env("RUST_LOG", "off")
        .output()
        .map_err(|e| format!("cannot run the example: {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(true) - cpu;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let done = stdout
        .lines()
        .find(|l| l.starts_with("Done."))
        .ok_or_else(|| format!("no 'Done.' line in the example's output:\n{stdout}"))?;
    let unique = done
        .split([',', ' '])
        .find_map(|w| w.strip_prefix("unique="))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no unique= count in {done:?}"))?;
    Ok(Row {
        name: format!(
            "stateright examples/raft.rs, 3 servers, depth {depth}, {} threads",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ),
        unique,
        wall,
        cpu,
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let depth: usize = std::env::var("SPEED_STATERIGHT_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(10);
    let rounds: usize = std::env::var("SPEED_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let binary = build_example().unwrap_or_else(|e| panic!("{e}"));
    let cores = raftcheck::plan::default_threads();
    // Each round runs every row once, interleaved, so that a burst of load from elsewhere on a
    // shared machine hits all rows alike; each row keeps its fastest round.
    let mut rows: Vec<Row> = Vec::new();
    for _ in 0..rounds {
        let round = [
            raftcheck_row(false, 1),
            raftcheck_row(false, cores),
            raftcheck_row(true, cores),
            stateright_row(&binary, depth).unwrap_or_else(|e| panic!("{e}")),
        ];
        if rows.is_empty() {
            rows = round.into();
            continue;
        }
        for (k, (best, new)) in rows.iter_mut().zip(round).enumerate() {
            // raftcheck's counts are the same on every run; Stateright's parallel search may
            // count a few states more or less from run to run.
            if k < 3 {
                assert_eq!(best.unique, new.unique, "{}: counts differ", new.name);
            }
            if new.wall < best.wall {
                *best = new;
            }
        }
    }
    println!(
        "best of {rounds} interleaved round{}:",
        if rounds == 1 { "" } else { "s" }
    );
    println!("| run | unique states | wall s | CPU s | unique/s wall | unique/s CPU |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.0} |",
            r.name,
            r.unique,
            r.wall,
            r.cpu,
            r.per_wall(),
            r.per_cpu()
        );
    }
    let base = &rows[3];
    for r in &rows[..3] {
        println!(
            "ratio ({} / stateright example): {:.2}x per wall second, {:.2}x per CPU second",
            r.name,
            r.per_wall() / base.per_wall(),
            r.per_cpu() / base.per_cpu()
        );
    }
}

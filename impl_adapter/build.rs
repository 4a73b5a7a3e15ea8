//! Embeds the etcd adapter's Go sources (`etcd/*.go`, tests excluded) and its module files
//! (`etcd/go.mod`, `etcd/go.sum`, for the v3.6 build) into the crate, so the raftcheck binary can
//! build the adapter on first use wherever it runs.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a build directory copied from another
    // checkout must embed this checkout's sources.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("etcd");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".go") && !name.ends_with("_test.go")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut code = String::from("/// The etcd adapter's Go sources: (file name, contents).\n");
    code.push_str("pub const SOURCES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    for (constant, file) in [("GO_MOD", "go.mod"), ("GO_SUM", "go.sum")] {
        let path = dir.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        writeln!(
            code,
            "/// The etcd adapter's `{file}` (the v3.6 module build's pins).\npub const {constant}: &str = {text:?};"
        )
        .unwrap();
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("etcd_sources.rs");
    std::fs::write(out, code).unwrap();
}

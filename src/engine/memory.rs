//! Memory of a run, as the operating system counts it: the peak resident set of this process
//! (Linux `VmHWM`), reset at the start of a search so a second run in the same process (the
//! pre-vote configuration after the plain one) reports its own peak.
//!
//! A search divides the peak by the product states it stored, giving the bytes per stored
//! state that decide how deep a machine's memory lets it go. Everything the process holds is
//! counted: the search's arena, seen sets and frontier, and the in-process implementation's
//! nodes; an adapter process's own memory is not.

use std::fs;

/// The peak resident set size of this process in bytes, where the system tells it.
pub fn peak_resident_bytes() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    resident_kib(&status, "VmHWM:").map(|kib| kib * 1024)
}

/// Starts counting the peak afresh from the current resident set, where the system allows it
/// (Linux: writing 5 to `/proc/self/clear_refs`), after handing the memory an earlier run freed
/// back to the system (glibc's `malloc_trim`), so that it is not counted again. Returns false
/// where the peak cannot be reset; it then covers the whole process so far.
pub fn reset_peak() -> bool {
    release_free_memory();
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim only returns free heap pages to the system; it has no preconditions.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// The value in KiB of a `/proc/PID/status` line such as `VmHWM:    123456 kB`.
fn resident_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    let mut words = line[key.len()..].split_whitespace();
    let value = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_line_is_read_in_kib() {
        let status = "Name:\traftcheck\nVmPeak:\t  900 kB\nVmHWM:\t   1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(resident_kib(status, "VmHWM:"), Some(1234));
        assert_eq!(resident_kib("VmHWM:\t12 pages\n", "VmHWM:"), None);
        assert_eq!(resident_kib("", "VmHWM:"), None);
    }

    #[test]
    fn this_process_has_a_peak_at_least_as_large_as_a_buffer_it_touched() {
        let Some(before) = peak_resident_bytes() else {
            return; // not Linux: nothing to measure
        };
        let buffer = std::hint::black_box(vec![1u8; 64 << 20]);
        assert_eq!(buffer.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
        let after = peak_resident_bytes().unwrap();
        assert!(after >= 64 << 20, "{before} {after}");
        drop(buffer);
    }
}

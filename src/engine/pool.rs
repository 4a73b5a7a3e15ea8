//! Running numbered jobs over a set of adapters, one thread per adapter, so that the outcome is
//! the same whatever the number of threads.
//!
//! Jobs are taken in increasing order. A job may ask to stop the run; jobs numbered after it
//! that have not started yet are then skipped (others, already running, finish), while every
//! job numbered before it still runs to completion — so "the first job that stops", scanning
//! the results in order, is the same job on every run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use raftcheck_adapter::{Adapter, AdapterError};

/// One adapter per worker thread.
pub type Adapters = [Mutex<Box<dyn Adapter>>];

/// Builds one adapter per worker thread.
pub type AdapterFactory<'a> = dyn Fn() -> Result<Box<dyn Adapter>, AdapterError> + Sync + 'a;

/// One adapter per worker thread, `threads` (at least one) of them, each built by
/// `make_adapter`; the first error building one is the result.
pub fn build_adapters(
    make_adapter: &AdapterFactory,
    threads: usize,
) -> Result<Vec<Mutex<Box<dyn Adapter>>>, AdapterError> {
    (0..threads.max(1))
        .map(|_| make_adapter().map(Mutex::new))
        .collect()
}

/// Runs `work(adapter, k)` for the jobs `k` in `0..jobs`; `work` returns the job's result and
/// whether the run should stop after it. Returns every job's result by number, `None` for the
/// jobs skipped after a stop.
pub fn run_jobs<R: Send>(
    adapters: &Adapters,
    jobs: usize,
    work: impl Fn(&mut dyn Adapter, usize) -> (R, bool) + Sync,
) -> Vec<Option<R>> {
    let results: Vec<Mutex<Option<R>>> = (0..jobs).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let first_stop = AtomicUsize::new(usize::MAX);
    std::thread::scope(|scope| {
        for slot in adapters {
            let (results, next, first_stop, work) = (&results, &next, &first_stop, &work);
            scope.spawn(move || {
                let mut adapter = slot.lock().expect("adapter lock");
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= jobs || k > first_stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (result, stop) = work(adapter.as_mut(), k);
                    if stop {
                        first_stop.fetch_min(k, Ordering::Relaxed);
                    }
                    *results[k].lock().expect("result lock") = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().expect("result lock"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_adapter::raft_rs::RaftRsAdapter;

    fn adapters(n: usize) -> Vec<Mutex<Box<dyn Adapter>>> {
        (0..n)
            .map(|_| Mutex::new(Box::new(RaftRsAdapter::new()) as Box<dyn Adapter>))
            .collect()
    }

    #[test]
    fn every_job_runs_once_in_order_of_results() {
        for threads in [1, 2, 4] {
            let out = run_jobs(&adapters(threads), 50, |_, k| (k * 10, false));
            assert_eq!(out, (0..50).map(|k| Some(k * 10)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_stop_keeps_every_earlier_job_and_skips_later_ones_in_order() {
        for threads in [1, 2, 4] {
            let out = run_jobs(&adapters(threads), 100, |_, k| (k, k == 30 || k == 60));
            assert!(out[..=30].iter().all(Option::is_some), "{threads} threads");
            assert_eq!(out[30], Some(30));
            if threads == 1 {
                assert!(out[31..].iter().all(Option::is_none));
            }
        }
    }
}

use raftcheck_spec::*;
use stateright::{Checker, Model};
fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let bounds = Bounds {
        max_term: args[0],
        values: args[1],
        restarts: args[2] as u32,
        max_in_flight: args[3] as usize,
        depth: args[4] as usize,
        ..Bounds::default()
    };
    let t = std::time::Instant::now();
    let model = RaftModel::new(bounds.clone(), Flavour::raft_rs(), Mode::SpecOnly);
    let c = model
        .checker()
        .threads(2)
        .target_max_depth(bounds.depth)
        .spawn_bfs()
        .join();
    println!(
        "{:?} unique={} total={} depth={} {:?}",
        args,
        c.unique_state_count(),
        c.state_count(),
        c.max_depth(),
        t.elapsed()
    );
    for (name, p) in c.discoveries() {
        println!("  {name}: {} steps", p.into_actions().len());
    }
}

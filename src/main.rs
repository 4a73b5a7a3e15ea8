use raftcheck::engine::*;
use spec::*;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let depth: usize = a.get(1).map(|s| s.parse().unwrap()).unwrap_or(6);
    let bug = a
        .get(2)
        .map(|s| s.parse::<impl_adapter::inject::Bug>().unwrap());
    let bounds = Bounds {
        depth,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds, Flavour::raft_rs(), Mode::Lockstep);
    let make = move || -> Result<Box<dyn impl_adapter::Adapter>, impl_adapter::AdapterError> {
        Ok(Box::new(impl_adapter::raft_rs::RaftRsAdapter::with_bug(
            bug,
        )))
    };
    let opts = SearchOptions {
        threads: 2,
        progress_every: Some(std::time::Duration::from_secs(2)),
        ..Default::default()
    };
    let out = search(&model, &make, &opts).unwrap();
    println!("{:?}", out.stats);
    for p in &out.problems {
        println!("{} after {} steps", p.kind_name(), p.path.len());
        for (i, s) in p.path.iter().enumerate() {
            println!("  {:>2}. {}", i + 1, s);
        }
        for l in &p.lines {
            println!("  {l}");
        }
    }
}

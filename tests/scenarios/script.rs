//! The scenario file format (testdata/README.md): commands, each followed by one or more
//! expected-output blocks, in the style of etcd raft's datadriven interaction tests.
//!
//! ```text
//! # comments and blank lines between commands are kept as they are
//! timeout 1
//! ----
//! Timeout n1
//!   → Send RequestVote n1→n2 t1 last=(0,t0)
//!
//! deliver all
//! ---- raft-rs
//! ... what raft-rs prints
//!
//! ---- spec etcd
//! ... what the fixture and etcd print
//! ```
//!
//! A block ends at a blank line (or the end of the file). `----` alone is the expected output
//! of every target without a block of its own; `---- T...` that of the targets named.

/// The targets a block may name.
pub const TARGETS: [&str; 4] = ["spec", "raft-rs", "etcd", "etcd-3.6"];

/// One expected-output block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The targets it is for; empty for every target without a block of its own.
    pub tags: Vec<String>,
    /// The file line (1-based) of its first output line.
    pub first_line: usize,
    /// The output lines.
    pub lines: Vec<String>,
}

/// One command and what it is expected to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Comment and blank lines before the command, kept for rewriting.
    pub preamble: Vec<String>,
    /// The file line (1-based) of the command.
    pub line: usize,
    /// The command as written.
    pub command: String,
    /// The expected-output blocks, in file order.
    pub expected: Vec<Expected>,
}

impl Block {
    /// The expected output for `target`, if the block has one.
    pub fn expected_for(&self, target: &str) -> Option<&Expected> {
        self.expected
            .iter()
            .find(|e| e.tags.iter().any(|t| t == target))
            .or_else(|| self.expected.iter().find(|e| e.tags.is_empty()))
    }
}

/// A parsed scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The name used in messages (`testdata/election.txt`).
    pub name: String,
    /// The commands.
    pub blocks: Vec<Block>,
    /// Comment and blank lines after the last block.
    pub trailer: Vec<String>,
}

fn is_header(line: &str) -> bool {
    line == "----" || line.starts_with("---- ")
}

fn is_filler(line: &str) -> bool {
    line.trim().is_empty() || line.starts_with('#')
}

impl Script {
    /// Parses `text`; an error names the file and line.
    pub fn parse(name: &str, text: &str) -> Result<Script, String> {
        let lines: Vec<&str> = text.lines().collect();
        let error = |at: usize, what: String| format!("{name}:{}: {what}", at + 1);
        let mut blocks = Vec::new();
        let mut preamble = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if is_filler(line) {
                preamble.push(line.to_string());
                i += 1;
                continue;
            }
            if is_header(line) {
                return Err(error(i, "`----` without a command before it".into()));
            }
            let command_at = i;
            i += 1;
            let mut expected: Vec<Expected> = Vec::new();
            while i < lines.len() && is_header(lines[i]) {
                let tags: Vec<String> = lines[i][4..]
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                for tag in &tags {
                    if !TARGETS.contains(&tag.as_str()) {
                        return Err(error(
                            i,
                            format!("unknown target '{tag}' (known: {})", TARGETS.join(", ")),
                        ));
                    }
                    if expected.iter().any(|e| e.tags.contains(tag)) {
                        return Err(error(i, format!("a second block for '{tag}'")));
                    }
                }
                if tags.is_empty() && expected.iter().any(|e| e.tags.is_empty()) {
                    return Err(error(i, "a second block for every target".into()));
                }
                i += 1;
                let first_line = i + 1;
                let mut output = Vec::new();
                while i < lines.len() && !lines[i].trim().is_empty() {
                    output.push(lines[i].to_string());
                    i += 1;
                }
                // The blank line that ends the block.
                if i < lines.len() {
                    i += 1;
                }
                expected.push(Expected {
                    tags,
                    first_line,
                    lines: output,
                });
            }
            if expected.is_empty() {
                return Err(error(
                    command_at,
                    format!("`{line}` is not followed by a `----` line"),
                ));
            }
            blocks.push(Block {
                preamble: std::mem::take(&mut preamble),
                line: command_at + 1,
                command: line.to_string(),
                expected,
            });
        }
        Ok(Script {
            name: name.to_string(),
            blocks,
            trailer: preamble,
        })
    }

    /// The file text: with the blocks' own expectations, `render(parse(t)) == t` for a file in
    /// canonical form.
    pub fn render(&self) -> String {
        let outputs: Vec<Vec<Expected>> = self.blocks.iter().map(|b| b.expected.clone()).collect();
        self.render_with(&outputs)
    }

    /// The file text with `outputs[i]` as the expectations of block `i`.
    pub fn render_with(&self, outputs: &[Vec<Expected>]) -> String {
        let mut text = String::new();
        for (k, (block, expected)) in self.blocks.iter().zip(outputs).enumerate() {
            if k > 0 {
                text.push('\n');
            }
            for line in &block.preamble {
                text.push_str(line);
                text.push('\n');
            }
            text.push_str(&block.command);
            text.push('\n');
            for (j, e) in expected.iter().enumerate() {
                if j > 0 {
                    text.push('\n');
                }
                text.push_str("----");
                for tag in &e.tags {
                    text.push(' ');
                    text.push_str(tag);
                }
                text.push('\n');
                for line in &e.lines {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        if !self.trailer.is_empty() {
            text.push('\n');
            for line in &self.trailer {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }
}

/// The canonical expectations of one block from what each target printed (targets in
/// [`TARGETS`] order): one untagged block when all agree, else one block per distinct output,
/// tagged with the targets that printed it.
pub fn expectations(printed: &[(&str, Vec<String>)]) -> Vec<Expected> {
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (target, lines) in printed {
        match groups.iter_mut().find(|(l, _)| l == lines) {
            Some((_, tags)) => tags.push(target.to_string()),
            None => groups.push((lines.clone(), vec![target.to_string()])),
        }
    }
    let single = groups.len() == 1;
    groups
        .into_iter()
        .map(|(lines, tags)| Expected {
            tags: if single { Vec::new() } else { tags },
            first_line: 0,
            lines,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# a comment\ntimeout 1\n----\nTimeout n1\n  n1: x\n\n\
                        # between\n\nstate\n---- raft-rs\nA\n\n---- spec etcd\nB\n";

    #[test]
    fn parse_and_render_round_trip() {
        let s = Script::parse("t.txt", TEXT).unwrap();
        assert_eq!(s.blocks.len(), 2);
        assert_eq!(s.blocks[0].line, 2);
        assert_eq!(s.blocks[0].expected[0].first_line, 4);
        assert_eq!(s.blocks[1].expected_for("etcd").unwrap().lines, vec!["B"]);
        assert_eq!(s.blocks[1].expected_for("raft-rs").unwrap().first_line, 11);
        assert_eq!(s.render(), TEXT);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let e = Script::parse("t.txt", "timeout 1\nTimeout n1\n").unwrap_err();
        assert!(e.starts_with("t.txt:1: "), "{e}");
        let e = Script::parse("t.txt", "----\n").unwrap_err();
        assert!(e.starts_with("t.txt:1: "), "{e}");
        let e = Script::parse("t.txt", "state\n---- paxos\n").unwrap_err();
        assert!(e.contains("t.txt:2: unknown target 'paxos'"), "{e}");
        let e = Script::parse("t.txt", "state\n---- etcd\nA\n\n---- etcd\nB\n").unwrap_err();
        assert!(e.contains("t.txt:5: a second block for 'etcd'"), "{e}");
    }

    #[test]
    fn agreeing_targets_share_one_block() {
        let same = expectations(&[("spec", vec!["A".into()]), ("etcd", vec!["A".into()])]);
        assert_eq!(same.len(), 1);
        assert!(same[0].tags.is_empty());
        let split = expectations(&[
            ("spec", vec!["A".into()]),
            ("raft-rs", vec!["B".into()]),
            ("etcd", vec!["A".into()]),
        ]);
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].tags, vec!["spec", "etcd"]);
        assert_eq!(split[1].tags, vec!["raft-rs"]);
    }
}

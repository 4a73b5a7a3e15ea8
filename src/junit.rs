//! The gate's results as CI systems read them: JUnit XML and GitHub Actions annotations.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// What a gate item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A trace of the corpus replayed.
    Replay,
    /// A configured check.
    Check,
}

impl ItemKind {
    /// The name used in tables and reports.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Replay => "replay",
            ItemKind::Check => "check",
        }
    }
}

/// How a gate item went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// As expected: the recorded outcome holds, or the check agrees.
    Ok,
    /// A recorded divergence no longer happens.
    Fixed,
    /// A regression: a new or changed divergence, or a violation.
    Failed,
    /// An adapter fault.
    Fault,
    /// The item could not be run: unreadable trace, configuration error.
    Invalid,
}

impl ItemStatus {
    /// The label in the summary table.
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Ok => "ok",
            ItemStatus::Fixed => "fixed?",
            ItemStatus::Failed => "FAIL",
            ItemStatus::Fault => "FAULT",
            ItemStatus::Invalid => "ERROR",
        }
    }
}

/// One line of the gate.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GateItem {
    /// Replay or check.
    pub kind: ItemKind,
    /// The trace file or the check's name.
    pub name: String,
    /// How it went.
    pub status: ItemStatus,
    /// One line for the table.
    pub summary: String,
    /// The findings, one per line.
    pub details: Vec<String>,
    /// The trace file to point at (the replayed trace, or a new one), if any.
    pub file: Option<String>,
    /// The HTML view of the item's trace (`raftcheck view`), written for items that are not
    /// ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Wall time.
    pub seconds: f64,
    /// Everything else, as the command's own JSON report gives it.
    pub report: serde_json::Value,
}

/// The JUnit XML report: a suite per kind, a test case per item. "fixed?" items are skipped
/// test cases, failures and regressions are failures, faults and invalid items are errors.
pub fn junit_xml(items: &[GateItem], fail_on_fixed: bool) -> String {
    let mut report = Report::new("raftcheck");
    for kind in [ItemKind::Replay, ItemKind::Check] {
        let mut suite = TestSuite::new(kind.name());
        for item in items.iter().filter(|i| i.kind == kind) {
            let mut status = match item.status {
                ItemStatus::Ok => TestCaseStatus::success(),
                ItemStatus::Fixed if !fail_on_fixed => TestCaseStatus::skipped(),
                ItemStatus::Fixed | ItemStatus::Failed => {
                    TestCaseStatus::non_success(NonSuccessKind::Failure)
                }
                ItemStatus::Fault | ItemStatus::Invalid => {
                    TestCaseStatus::non_success(NonSuccessKind::Error)
                }
            };
            if item.status != ItemStatus::Ok {
                status.set_message(item.summary.clone());
                if !item.details.is_empty() {
                    status.set_description(item.details.join("\n"));
                }
            }
            let mut case = TestCase::new(item.name.clone(), status);
            case.set_classname(format!("raftcheck.{}", kind.name()));
            if let Some(html) = &item.html {
                case.add_property(("html", html.as_str()));
                case.set_system_out(format!("view: {html}\n"));
            }
            case.set_time(Duration::from_secs_f64(item.seconds.max(0.0)));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .expect("a JUnit report always serialises")
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands for the items that need attention: an error per failure,
/// fault or invalid item, a warning per "fixed?" trace (an error with `fail_on_fixed`).
pub fn github_annotations(items: &[GateItem], fail_on_fixed: bool) -> Vec<String> {
    items
        .iter()
        .filter(|i| i.status != ItemStatus::Ok)
        .map(|item| {
            let level = match item.status {
                ItemStatus::Fixed if !fail_on_fixed => "warning",
                _ => "error",
            };
            let mut props = Vec::new();
            if let Some(file) = &item.file {
                props.push(format!("file={}", escape_property(file)));
            }
            props.push(format!(
                "title={}",
                escape_property(&format!(
                    "raftcheck {} {}",
                    item.kind.name(),
                    item.status.label()
                ))
            ));
            let mut message = item.summary.clone();
            for d in &item.details {
                message.push('\n');
                message.push_str(d);
            }
            format!("::{level} {}::{}", props.join(","), escape_data(&message))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ItemKind, status: ItemStatus) -> GateItem {
        GateItem {
            kind,
            name: "traces/x.json".into(),
            status,
            summary: "recorded agreement, now: state-mismatch at step 2".into(),
            details: vec!["n1.vote: spec n1, impl none".into()],
            file: Some("traces/x.json".into()),
            html: None,
            seconds: 0.5,
            report: serde_json::Value::Null,
        }
    }

    #[test]
    fn annotations_escape_and_pick_levels() {
        let items = [
            item(ItemKind::Replay, ItemStatus::Ok),
            item(ItemKind::Replay, ItemStatus::Failed),
            item(ItemKind::Replay, ItemStatus::Fixed),
        ];
        let lines = github_annotations(&items, false);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("::error file=traces/x.json,title=raftcheck replay FAIL::"));
        assert!(
            lines[0].ends_with("at step 2%0An1.vote: spec n1, impl none"),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("::warning "));
        assert!(github_annotations(&items, true)[1].starts_with("::error "));
    }

    #[test]
    fn junit_is_xml_with_a_case_per_item() {
        let items = [
            item(ItemKind::Replay, ItemStatus::Ok),
            item(ItemKind::Replay, ItemStatus::Fixed),
            item(ItemKind::Check, ItemStatus::Failed),
            item(ItemKind::Check, ItemStatus::Fault),
        ];
        let xml = junit_xml(&items, false);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 4);
        let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
        assert_eq!(count("failure"), 1);
        assert_eq!(count("error"), 1);
        assert_eq!(count("skipped"), 1);
        assert_eq!(count("property"), 0, "no view, no property");
    }

    #[test]
    fn junit_links_a_failing_item_to_its_view() {
        let failed = GateItem {
            html: Some("traces/x.html".into()),
            ..item(ItemKind::Replay, ItemStatus::Failed)
        };
        let xml = junit_xml(&[failed], false);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let property = doc
            .descendants()
            .find(|n| n.has_tag_name("property"))
            .expect("a property");
        assert_eq!(property.attribute("name"), Some("html"));
        assert_eq!(property.attribute("value"), Some("traces/x.html"));
        let out = doc
            .descendants()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text());
        assert_eq!(out, Some("view: traces/x.html\n"));
    }
}

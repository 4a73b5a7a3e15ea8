//! One self-contained HTML page: the view model as JSON inside a
//! `<script type="application/json">` element, and the page's own CSS and script inline. No
//! network is needed to open it and nothing is fetched; the script has no dependency.
//!
//! Every string of a trace reaches the page only inside that JSON, with `<`, `>` and `&`
//! written as `\u003c`, `\u003e`, `\u0026`, so no trace can close the element or start markup;
//! the script reads it with `JSON.parse` and puts every string into the page with
//! `textContent`. The one string outside the JSON, the title, is HTML-escaped.

use super::model::ViewModel;

const TEMPLATE: &str = include_str!("assets/page.html");
const STYLE: &str = include_str!("assets/viewer.css");
const SCRIPT: &str = include_str!("assets/viewer.js");

/// The page of `view`.
pub fn page(view: &ViewModel) -> String {
    let data = serde_json::to_string(view).expect("a view model serialises");
    let title = format!("raftcheck: {} — {}", view.header.file, view.header.headline);
    page_with_data(&escape_html(&title), &script_json(&data))
}

/// The page with `data` (already escaped for a script element) as its embedded view model;
/// tests use it to build pages whose data is broken.
pub fn page_with_data(title: &str, data: &str) -> String {
    // One pass over the template, so nothing substituted is ever read as a placeholder.
    let mut out = String::with_capacity(TEMPLATE.len() + STYLE.len() + SCRIPT.len() + data.len());
    let mut rest = TEMPLATE;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find("}}")
            .expect("the template's placeholders are closed");
        out.push_str(match &after[..end] {
            "TITLE" => title,
            "STYLE" => STYLE,
            "SCRIPT" => SCRIPT,
            "DATA" => data,
            other => panic!("the template has an unknown placeholder {other}"),
        });
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// JSON text made safe inside a `<script>` element: no `<`, `>` or `&` remains (so neither
/// `</script>` nor `<!--` can appear), and the JSON value is unchanged.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe as HTML text or a quoted attribute value.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_keeps_the_value_and_leaves_no_markup() {
        let json = serde_json::to_string(&serde_json::json!({
            "s": "</script><script>alert(1)</script><!-- & \u{2028}"
        }))
        .unwrap();
        let safe = script_json(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(
            back["s"],
            "</script><script>alert(1)</script><!-- & \u{2028}"
        );
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = page_with_data("t", "{}");
        assert!(page.contains("<script type=\"application/json\" id=\"trace-data\">{}</script>"));
        for remote in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "@import",
            "url(http",
        ] {
            assert!(!page.contains(remote), "the page loads nothing: {remote}");
        }
        assert!(!page.contains("{{"), "every placeholder is filled");
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(
            escape_html("<img src=x onerror=\"a\">&'"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
    }
}

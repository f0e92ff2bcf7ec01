//! Reading the shared data set (never copied into the repository) for the examples.

use xinfang_text::normalize;

/// Distinct citizen messages (by normalized text) long enough to be letters.
pub fn messages(dir: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for (file, column) in [
        ("messages_unlabelled.csv", "留言详情"),
        ("messages_replies.csv", "留言详情"),
        ("labelled_details.csv", "detail"),
    ] {
        let path = format!("{dir}/{file}");
        let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let headers = reader.headers().expect("a header row").clone();
        let at = headers
            .iter()
            .position(|h| h.trim() == column)
            .unwrap_or_else(|| panic!("{path} has no column {column}"));
        for row in reader.records().flatten() {
            if let Some(text) = row.get(at) {
                texts.push(text.trim().to_owned());
            }
        }
    }
    // The files share rows, and some messages were posted twice: keep one of each text, and only texts
    // long enough to be letters.
    let mut seen = std::collections::HashSet::new();
    texts.retain(|t| normalize(t).chars().count() >= 60 && seen.insert(normalize(t)));
    texts
}

/// A text cut after each sentence end (。！？；) and line break.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in text.chars() {
        out.last_mut().expect("one at least").push(c);
        if matches!(c, '。' | '！' | '？' | '；' | '\n') {
            out.push(String::new());
        }
    }
    out.retain(|s| !s.trim().is_empty());
    out
}

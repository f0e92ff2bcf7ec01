//! Any bytes a client can send, as text: normalization answers within its bound, keeps only letters and
//! digits, and answers the same the second time; near-duplicate lookup on it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_text::dedup::DedupIndex;
use xinfang_text::{MAX_CHARS, normalize};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = normalize(&text);
    assert!(once.chars().count() <= MAX_CHARS);
    assert!(once.chars().all(char::is_alphanumeric));
    assert_eq!(normalize(&once), once, "not idempotent on {text:?}");
    let mut index = DedupIndex::new();
    index.insert(0u32, &text);
    let found = index.near_duplicates(&text, 0.8);
    assert!(found.len() <= 1);
});

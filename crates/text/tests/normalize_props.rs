//! Whatever is pasted into a contact, normalization answers, and answers the same the second time.

use proptest::prelude::*;
use xinfang_text::{MAX_CHARS, normalize};

/// Arbitrary strings rarely put two combining marks or two Hangul jamo next to each other, which is
/// where canonical composition and reordering can make a second pass differ; this mixes them in.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        " ",
        "，",
        "\u{0301}",
        "\u{0316}",
        "\u{1e026}",
        "\u{16ff0}",
        "\u{1100}",
        "\u{1161}",
        "\u{11a8}",
        "İ",
        "ǅ",
        "ﬁ",
        "Ａ",
        "字",
        "a",
        "\u{0345}",
        "\u{0f73}",
        "\u{0b47}",
        "\u{0b3e}",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn normalizing_any_text_is_total_bounded_and_idempotent(text in any::<String>()) {
        let once = normalize(&text);
        prop_assert!(once.chars().count() <= MAX_CHARS);
        prop_assert!(once.chars().all(|c| c.is_alphanumeric()));
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn marks_and_jamo_brought_together_settle_in_one_call(text in tricky_text()) {
        let once = normalize(&text);
        prop_assert!(once.chars().all(|c| c.is_alphanumeric()));
        prop_assert_eq!(normalize(&once), once);
    }
}

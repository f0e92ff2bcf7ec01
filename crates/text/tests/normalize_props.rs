//! Whatever is pasted into a contact, normalization answers, and answers the same the second time.

use proptest::prelude::*;
use xinfang_text::{MAX_CHARS, normalize};

proptest! {
    #[test]
    fn normalizing_any_text_is_total_bounded_and_idempotent(text in any::<String>()) {
        let once = normalize(&text);
        prop_assert!(once.chars().count() <= MAX_CHARS);
        prop_assert!(once.chars().all(|c| c.is_alphanumeric()));
        prop_assert_eq!(normalize(&once), once);
    }
}

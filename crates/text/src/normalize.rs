//! One canonical form for comparing texts. Greetings, signatures and layout change between copies of a
//! letter; what the letter says does not. So: compatibility forms folded (full-width Ａ１，→ A1,), Latin
//! letters lower-cased, every character that is not a letter or a digit dropped (spaces, punctuation,
//! symbols, emoji, control characters), and the length bounded.

use unicode_normalization::UnicodeNormalization;

/// Characters kept from one text: far beyond any letter (the registration limit is 50,000), so a
/// megabyte pasted by mistake costs a bounded amount of work.
pub const MAX_CHARS: usize = 100_000;

/// The canonical form of a text: letters and digits only, NFKC-folded, Latin lower-cased, at most
/// [`MAX_CHARS`] characters.
pub fn normalize(text: &str) -> String {
    // Lower-casing can itself yield marks (İ → i + U+0307), so letters and digits are kept after it.
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .take(MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_punctuation_and_width_do_not_matter() {
        assert_eq!(
            normalize("  反映：Ａ１区 某小区，\n电梯停运！！ "),
            normalize("反映A1区某小区电梯停运")
        );
        assert_eq!(normalize("ABC１２３"), "abc123");
        assert_eq!(normalize("İstanbul"), "istanbul");
        assert_eq!(
            normalize(&normalize("İstanbul ǅ Ⅻ ﬁ")),
            normalize("İstanbul ǅ Ⅻ ﬁ")
        );
    }

    #[test]
    fn bad_input_gets_an_answer() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("\u{0}\u{7}\u{1b}[31m"), "31m");
        assert_eq!(normalize("😀🏠👍"), "");
        assert_eq!(normalize("Привет мир 你好 مرحبا"), "приветмир你好مرحبا");
        let huge = "字".repeat(1_000_000);
        assert_eq!(normalize(&huge).chars().count(), MAX_CHARS);
    }
}

//! One canonical form for comparing texts. Greetings, signatures and layout change between copies of a
//! letter; what the letter says does not. So: compatibility forms folded (full-width Ａ１，→ A1,), Latin
//! letters lower-cased, every character that is not a letter or a digit dropped (spaces, punctuation,
//! symbols, emoji, control characters), and the length bounded.

use unicode_normalization::UnicodeNormalization;

/// Characters kept from one text: far beyond any letter (the registration limit is 50,000), so a
/// megabyte pasted by mistake costs a bounded amount of work.
pub const MAX_CHARS: usize = 100_000;

/// The canonical form of a text: letters and digits only, NFKC-folded, Latin lower-cased, at most
/// [`MAX_CHARS`] characters. Normalizing the result again changes nothing.
pub fn normalize(text: &str) -> String {
    let mut current = one_pass(text);
    // Dropping a character can bring together two that NFKC then composes or reorders (two Hangul
    // jamo, or two combining marks once separated by a space), so passes repeat until nothing moves.
    // Each pass only composes, reorders or drops, so two or three passes settle any text seen so far;
    // the bound keeps the work finite whatever comes in.
    for _ in 0..MAX_PASSES {
        let next = one_pass(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

const MAX_PASSES: usize = 8;

fn one_pass(text: &str) -> String {
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
        // Found by the property test: marks or jamo that meet once a space between them is gone.
        for text in [
            "\u{1e026} \u{16ff0}",
            "\u{1100} \u{1161}",
            "a \u{0301}\u{0316}",
        ] {
            let once = normalize(text);
            assert_eq!(normalize(&once), once, "{text:?}");
        }
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

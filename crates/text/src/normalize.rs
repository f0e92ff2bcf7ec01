//! One canonical form for comparing texts. Greetings, signatures and layout change between copies of a
//! letter; what the letter says does not. So: compatibility forms folded (full-width Ａ１，→ A1,), Latin
//! letters lower-cased, every character that is not a letter or a digit dropped (spaces, punctuation,
//! symbols, emoji, control characters; symbols are dropped before folding, so ™ does not become "tm"),
//! and the length bounded.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Characters kept from one text: far beyond any letter (the registration limit is 50,000), so a
/// megabyte pasted by mistake costs a bounded amount of work.
pub const MAX_CHARS: usize = 100_000;

/// The canonical form of a text: letters and digits only, NFKC-folded, Latin lower-cased, at most
/// [`MAX_CHARS`] characters. Normalizing the result again changes nothing.
pub fn normalize(text: &str) -> String {
    plain_form(text).unwrap_or_else(|| general_form(text))
}

fn general_form(text: &str) -> String {
    let mut current = one_pass(text);
    // Dropping a character can bring together two that NFKC then composes or reorders (two Hangul
    // jamo, or two combining marks once separated by a space), so passes repeat until nothing moves.
    // Each pass only composes, reorders or drops, so two or three passes settle any text seen so far;
    // the bound keeps the work finite whatever comes in.
    for _ in 0..MAX_PASSES {
        if settled(&current) {
            break;
        }
        let next = one_pass(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

const MAX_PASSES: usize = 8;

/// The canonical form of a text whose letters and digits are all ASCII or common CJK ideographs (most
/// letters): those are already NFKC, lower-casing them is simple, and nothing can compose with them once
/// the rest is dropped, so one pass is the whole work. `None` when another letter, digit or mark is
/// met (full-width Ａ１, 〇, Cyrillic, accents …): the general path handles those.
fn plain_form(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(4 * MAX_CHARS));
    let mut count = 0;
    for c in text.chars() {
        if count == MAX_CHARS {
            break;
        }
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
                count += 1;
            }
        } else if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            out.push(c);
            count += 1;
        } else if c.is_alphanumeric() || is_combining_mark(c) {
            return None;
        }
    }
    Some(out)
}

fn one_pass(text: &str) -> String {
    // What cannot become a letter or a digit goes first (punctuation, spaces, symbols, emoji): letters
    // mostly come with full-width punctuation, which alone would send the whole text through NFKC's
    // decomposition and recomposition. Marks stay, since they compose with the letter before them.
    let kept: String = text
        .chars()
        .filter(|&c| c.is_alphanumeric() || is_combining_mark(c))
        .collect();
    // Lower-casing can itself yield marks (İ → i + U+0307), so letters and digits are kept after it.
    let keep = |c: &char| c.is_alphanumeric();
    if is_nfkc_quick(kept.chars()) == IsNormalized::Yes {
        kept.chars()
            .flat_map(char::to_lowercase)
            .filter(keep)
            .take(MAX_CHARS)
            .collect()
    } else {
        kept.nfkc()
            .flat_map(char::to_lowercase)
            .filter(keep)
            .take(MAX_CHARS)
            .collect()
    }
}

/// Whether another pass would change nothing: already NFKC and lower case (and, being a pass's
/// output, letters and digits only).
fn settled(text: &str) -> bool {
    is_nfkc_quick(text.chars()) == IsNormalized::Yes
        && text.chars().all(|c| {
            let mut lower = c.to_lowercase();
            lower.next() == Some(c) && lower.next().is_none()
        })
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

    proptest::proptest! {
        #[test]
        fn the_shortcut_gives_what_the_general_path_gives(
            text in "[a-zA-Z0-9 ，。！：、（）\n\u{4e00}-\u{9fff}]{0,80}"
        ) {
            proptest::prop_assert_eq!(plain_form(&text), Some(general_form(&text)));
        }
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

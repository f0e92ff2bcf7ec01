//! What the classifier sees of a text: character 1-, 2- and 3-grams of a cheap canonical form.
//!
//! The fold is deliberately lighter than [`crate::normalize`]: full-width ASCII to half-width, Latin lower
//! case, digits to one digit, and only letters and digits kept. NFKC would cost more than everything else
//! the classifier does per text, and the forms it would also fold (compatibility ideographs, ligatures)
//! are rare in letters. Digits are folded because dates, amounts and house numbers say nothing about the
//! domain, and keeping them multiplies rare n-grams.
//!
//! An n-gram's key is its code points packed into 21 bits each (`c1 << 42 | c2 << 21 | c3`), so keys are
//! exact (no hash collisions) and stable across machines and releases. Kept characters are never U+0000,
//! so 1-, 2- and 3-gram keys never collide with each other.

/// Characters of a text the classifier reads. Far beyond any letter; a megabyte pasted by mistake costs
/// a bounded amount of work.
pub const MAX_CHARS: usize = 100_000;

/// Longest n-gram.
pub const MAX_N: usize = 3;

/// The canonical character of `c`, or `None` for characters that are not read (spaces, punctuation,
/// symbols, emoji, control characters).
#[inline]
pub fn fold(c: char) -> Option<char> {
    let c = match c as u32 {
        // CJK unified ideographs, most of any Chinese text: letters, none numeric (〇 and 零 are
        // outside this block or not digits), so the Unicode tables need not be asked.
        0x4E00..=0x9FFF => return Some(c),
        // Full-width forms of ASCII (！ to ～).
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0)?,
        // General punctuation (dashes, quotes, ellipses), CJK punctuation and brackets: never read.
        0x2000..=0x206F | 0x3000..=0x3004 | 0x3008..=0x3020 | 0xFF5F..=0xFF65 => return None,
        _ => c,
    };
    if c.is_ascii() {
        if c.is_ascii_digit() {
            Some('0')
        } else if c.is_ascii_alphabetic() {
            Some(c.to_ascii_lowercase())
        } else {
            None
        }
    } else if c.is_numeric() {
        Some('0')
    } else if c.is_alphabetic() {
        Some(c)
    } else {
        None
    }
}

/// Calls `f` with the key of every 1-, 2- and 3-gram of the folded text, in text order.
#[inline]
pub fn for_each_ngram(text: &str, mut f: impl FnMut(u64)) {
    let (mut p1, mut p2) = (0u64, 0u64);
    for c in text.chars().filter_map(fold).take(MAX_CHARS) {
        let c = u64::from(c as u32);
        f(c);
        if p1 != 0 {
            f(p1 << 21 | c);
            if p2 != 0 {
                f(p2 << 42 | p1 << 21 | c);
            }
        }
        p2 = p1;
        p1 = c;
    }
}

/// The text of an n-gram key, for people reading a model.
pub fn key_text(key: u64) -> String {
    [key >> 42, (key >> 21) & 0x1F_FFFF, key & 0x1F_FFFF]
        .into_iter()
        .filter(|&c| c != 0)
        .filter_map(|c| char::from_u32(c as u32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grams(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_ngram(text, |k| out.push(key_text(k)));
        out
    }

    #[test]
    fn ngrams_of_the_folded_text() {
        assert_eq!(
            grams("欠薪！Ａ1"),
            ["欠", "薪", "欠薪", "a", "薪a", "欠薪a", "0", "a0", "薪a0"]
        );
        assert!(grams("").is_empty());
        assert!(grams("😀 \u{0}\u{7}，。").is_empty());
        assert_eq!(grams(&"字".repeat(1_000_000)).len(), 3 * MAX_CHARS - 3);
    }
}

//! Chinese segmentation for the index: jieba's words (with the organisation's unit and place names as
//! whole words) plus character bigrams of every run of Han characters. Words rank; bigrams make any
//! two or more Han characters findable as a substring even where jieba cut the text elsewhere
//! (e.g. 市场 inside 超市场地), which is what recall against a trigram index needs.

use std::sync::Arc;

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Bigram terms start with this character, so that they never collide with a jieba word.
pub const BIGRAM_MARK: char = '\u{2}';

/// Terms at their character offsets in a query word.
pub type Terms = Vec<(usize, String)>;

/// Words longer than this (in bytes) are not indexed: a run of 1 MB of letters is not a word.
const MAX_TOKEN_BYTES: usize = 64;

/// A jieba instance with the user dictionary, shared by every clone of the tokenizer (tantivy clones a
/// tokenizer for each query and each snippet; cloning jieba's dictionary each time would cost
/// milliseconds).
#[derive(Clone)]
pub struct ZhTokenizer {
    jieba: Arc<Jieba>,
    tokens: Vec<Token>,
}

impl ZhTokenizer {
    pub fn new(jieba: Arc<Jieba>) -> Self {
        Self {
            jieba,
            tokens: Vec::new(),
        }
    }

    /// A query word as the index holds it: jieba's main segmentation (not the search mode's extra
    /// sub-words), as (character offset, term text); and the word's Han bigrams, likewise.
    pub fn query_terms(&self, word: &str) -> (Terms, Terms) {
        let words = self
            .jieba
            .tokenize(word, TokenizeMode::Default, true)
            .into_iter()
            .filter_map(|t| keep(t.word).map(|w| (t.start, w)))
            .collect();
        let mut bigrams = Vec::new();
        for_bigrams(word, |offset, pair, _| bigrams.push((offset, pair)));
        (words, bigrams)
    }
}

/// The term text of a jieba word, or `None` for spaces, punctuation and runaway tokens.
fn keep(word: &str) -> Option<String> {
    if word.len() > MAX_TOKEN_BYTES || !word.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(word.to_lowercase())
}

pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Each pair of adjacent Han characters: (character offset, term, byte range).
fn for_bigrams(text: &str, mut f: impl FnMut(usize, String, std::ops::Range<usize>)) {
    let mut prev: Option<(usize, usize, char)> = None;
    for (pos, (byte, c)) in text.char_indices().enumerate() {
        if is_han(c) {
            if let Some((ppos, pbyte, pc)) = prev {
                let mut term = String::with_capacity(7);
                term.push(BIGRAM_MARK);
                term.push(pc);
                term.push(c);
                f(ppos, term, pbyte..byte + c.len_utf8());
            }
            prev = Some((pos, byte, c));
        } else {
            prev = None;
        }
    }
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream<'a> {
        self.tokens.clear();
        for t in self.jieba.tokenize(text, TokenizeMode::Search, true) {
            if let Some(word) = keep(t.word) {
                self.tokens.push(Token {
                    offset_from: t.byte_start,
                    offset_to: t.byte_end,
                    position: t.start,
                    text: word,
                    position_length: 1,
                });
            }
        }
        let tokens = &mut self.tokens;
        for_bigrams(text, |pos, term, bytes| {
            tokens.push(Token {
                offset_from: bytes.start,
                offset_to: bytes.end,
                position: pos,
                text: term,
                position_length: 1,
            })
        });
        // Snippets walk tokens in text order.
        self.tokens.sort_by_key(|t| (t.offset_from, t.offset_to));
        ZhTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

pub struct ZhTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
}

impl TokenStream for ZhTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

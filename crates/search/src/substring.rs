//! A Han word of three or more characters, matched as a substring of the text without reading positions
//! where jieba already found it.
//!
//! A query word matches a text that holds it anywhere: its Han bigrams in a row (decision 0010). As a
//! phrase query that reads the positions of every bigram in every matter holding all of them, which for
//! a common word (有限公司, the city's own name) is most of the cost of a search. But a matter where
//! jieba's words of the query word stand in a row holds the word for certain: only the other matters
//! holding all the bigrams need their positions checked. This query walks the bigrams' postings (rarest
//! first, no positions), asks the jieba words' scorer about each candidate, and reads positions only
//! when that says no. The matches are exactly the phrase's.
//!
//! Score: the jieba words' score (boosted: a whole word ranks above a substring) when they match, plus
//! BM25 of the bigrams together (their idfs summed, as a phrase query weighs them) at the smallest of
//! their frequencies in the matter (the phrase's frequency without reading positions: an upper bound).

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// The jieba words of a query word (a term or a phrase) and its Han bigrams at their character offsets.
/// Only for a word of Han characters whose jieba words, in a row, are the word itself: then every match
/// of the words is a match of the bigrams.
pub(crate) struct SubstringQuery {
    pub(crate) words: Box<dyn Query>,
    pub(crate) bigrams: Vec<(usize, Term)>,
}

impl Clone for SubstringQuery {
    fn clone(&self) -> Self {
        SubstringQuery {
            words: self.words.box_clone(),
            bigrams: self.bigrams.clone(),
        }
    }
}

impl std::fmt::Debug for SubstringQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubstringQuery")
            .field("words", &self.words)
            .field("bigrams", &self.bigrams)
            .finish()
    }
}

impl Query for SubstringQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let words = self.words.weight(enable_scoring)?;
        let terms: Vec<Term> = self.bigrams.iter().map(|(_, t)| t.clone()).collect();
        let similarity = match enable_scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Some(Bm25Weight::for_terms(statistics_provider, &terms)?),
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(SubstringWeight {
            words,
            bigrams: self.bigrams.clone(),
            similarity,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.words.query_terms(visitor);
        for (_, term) in &self.bigrams {
            visitor(term, true);
        }
    }
}

struct SubstringWeight {
    words: Box<dyn Weight>,
    bigrams: Vec<(usize, Term)>,
    similarity: Option<Bm25Weight>,
}

impl Weight for SubstringWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some((_, first)) = self.bigrams.first() else {
            return Ok(Box::new(EmptyScorer));
        };
        let field = first.field();
        let inverted = reader.inverted_index(field)?;
        let last = self.bigrams.iter().map(|(at, _)| *at).max().unwrap_or(0);
        let mut postings = Vec::with_capacity(self.bigrams.len());
        for (at, term) in &self.bigrams {
            match inverted.read_postings(term, IndexRecordOption::WithFreqsAndPositions)? {
                // Positions shifted so that a match has the same position for every bigram.
                Some(p) => postings.push(((last - at) as u32, p)),
                None => return Ok(Box::new(EmptyScorer)),
            }
        }
        // The rarest bigram leads; the others are sought.
        postings.sort_by_key(|(_, p)| p.doc_freq());
        let fieldnorms = match reader.fieldnorms_readers().get_field(field)? {
            Some(r) => r,
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        let mut scorer = SubstringScorer {
            words: self.words.scorer(reader, boost)?,
            postings,
            fieldnorms,
            similarity: self.similarity.as_ref().map(|w| w.boost_by(boost)),
            left: Vec::new(),
            right: Vec::new(),
            doc: 0,
        };
        scorer.doc = scorer.find(0);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match"
            )));
        }
        Ok(Explanation::new(
            "jieba words or Han bigrams in a row",
            scorer.score(),
        ))
    }
}

struct SubstringScorer {
    words: Box<dyn Scorer>,
    /// (position shift, postings), the rarest first.
    postings: Vec<(u32, SegmentPostings)>,
    fieldnorms: FieldNormReader,
    similarity: Option<Bm25Weight>,
    left: Vec<u32>,
    right: Vec<u32>,
    doc: DocId,
}

impl SubstringScorer {
    /// The first document at or after `target` that holds the word.
    fn find(&mut self, mut target: DocId) -> DocId {
        'candidates: loop {
            let lead = &mut self.postings[0].1;
            let doc = if lead.doc() < target {
                lead.seek(target)
            } else {
                lead.doc()
            };
            if doc == TERMINATED {
                return TERMINATED;
            }
            for (_, p) in &mut self.postings[1..] {
                let at = if p.doc() < doc { p.seek(doc) } else { p.doc() };
                if at > doc {
                    target = at;
                    continue 'candidates;
                }
            }
            if self.holds(doc) {
                return doc;
            }
            target = doc + 1;
        }
    }

    /// Whether a document holding every bigram holds them in a row: certainly where jieba's words
    /// match; otherwise by their positions.
    fn holds(&mut self, doc: DocId) -> bool {
        if self.words.doc() < doc {
            self.words.seek(doc);
        }
        if self.words.doc() == doc {
            return true;
        }
        let (shift, first) = &mut self.postings[0];
        first.positions_with_offset(*shift, &mut self.left);
        for (shift, p) in &mut self.postings[1..] {
            p.positions_with_offset(*shift, &mut self.right);
            let right = &self.right;
            let mut j = 0;
            self.left.retain(|&x| {
                while j < right.len() && right[j] < x {
                    j += 1;
                }
                j < right.len() && right[j] == x
            });
            if self.left.is_empty() {
                return false;
            }
        }
        true
    }
}

impl DocSet for SubstringScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.find(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target > self.doc {
            self.doc = self.find(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.postings[0].1.size_hint()
    }
}

impl Scorer for SubstringScorer {
    fn score(&mut self) -> Score {
        let Some(similarity) = &self.similarity else {
            return 0.0;
        };
        let tf = self
            .postings
            .iter()
            .map(|(_, p)| p.term_freq())
            .min()
            .unwrap_or(1);
        let mut score = similarity.score(self.fieldnorms.fieldnorm_id(self.doc), tf);
        if self.words.doc() == self.doc {
            score += self.words.score();
        }
        score
    }
}

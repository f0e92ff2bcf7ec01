//! Chinese full-text search over matters (issue 5): a tantivy index with jieba segmentation, kept by
//! following the event log. One document per matter. The index is a cache: it records in each commit
//! the chain sequence it holds, catches up from the store's `matters.changed_seq`, and is rebuilt from
//! the store whenever it is missing, unreadable, or built with another schema or dictionary.
//!
//! Text is indexed three times, once per way a viewer may see a matter
//! ([`xinfang_domain::access::IdentityView`]): as written (`body`), with the petitioners' identities
//! masked (`body_masked`), and, for viewers who may not know who petitioned at all, only the summaries
//! and demands with identities replaced (`body_hidden`; such viewers never see the full text). A query
//! runs each matter against the field its viewer may read, so nobody finds a matter through a name,
//! number or address they may not see.

mod substring;
mod tokenizer;

use std::collections::BTreeSet;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate};
use jieba_rs::Jieba;
use sha2::{Digest, Sha256};
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, EmptyQuery, EnableScoring, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TERMINATED,
    TantivyDocument, Term,
};
use xinfang_domain::access::{self, IdentityView};
use xinfang_domain::org::Org;
use xinfang_domain::petition::Petitioner;
use xinfang_domain::workflow::Principal;
use xinfang_store::search_feed::{FeedCursor, MatterDoc};
use xinfang_store::{Store, StoreError};

pub use tokenizer::ZhTokenizer;

/// Bumped whenever the documents' fields or the analysis change: an index of another version is rebuilt.
const SCHEMA_VERSION: &str = "xinfang-search/1: id status purpose domain region received flags \
                              target holder scope body body_masked body_hidden; jieba search mode \
                              + han bigrams";
const TOKENIZER: &str = "zh";
/// Matters read from the store per batch.
const BATCH: i64 = 2_000;
/// The writer a running server keeps for catching up.
const SMALL_HEAP: usize = 64 << 20;
/// The writer of a rebuild: big segments, every core.
const BIG_HEAP: usize = 1 << 30;
/// A query longer than this (characters) is refused: nobody types that, and it would be slow.
pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_QUERY_WORDS: usize = 16;
/// Searches count matches up to this many; beyond, the total is a lower bound ("1000+"), as the matter
/// lists say (counting every match of a common word over a million matters costs more than the search).
pub const COUNT_CAP: usize = 1_000;
/// Snippets are cut to about this many bytes (tantivy counts bytes: ~80 Chinese characters).
const SNIPPET_BYTES: usize = 240;

/// Failures of the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("全文索引错误：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("全文索引目录 {path} 无法使用：{source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("用户词典 {path} 无法读取：{source}")]
    Dictionary {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("全文索引任务中断")]
    Interrupted,
}

/// A query the index will not run, with a message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("请输入检索词")]
    Empty,
    #[error("检索词过长（最多 {MAX_QUERY_CHARS} 个字符）")]
    TooLong,
    #[error("检索词过多（最多 {MAX_QUERY_WORDS} 个）")]
    TooManyWords,
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Empty => "empty_query",
            QueryError::TooLong => "query_too_long",
            QueryError::TooManyWords => "too_many_words",
        }
    }
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// The words jieba must keep whole: every unit and region name of the organisation, and the words of
/// an optional user file (one per line; `#` starts a comment; a jieba dictionary line's first column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    words: BTreeSet<String>,
}

impl Dictionary {
    pub fn of_org(org: &Org) -> Self {
        let mut d = Dictionary::default();
        for name in org
            .units()
            .map(|u| u.name.as_str())
            .chain(org.regions().map(|r| r.name.as_str()))
        {
            d.add(name);
        }
        d
    }

    /// Add the words of a user file; a missing file adds nothing.
    pub fn with_file(mut self, path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                for line in text.lines() {
                    let line = line.trim();
                    if line.starts_with('#') {
                        continue;
                    }
                    if let Some(word) = line.split_whitespace().next() {
                        self.add(word);
                    }
                }
                Ok(self)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(self),
            Err(source) => Err(SearchError::Dictionary {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    pub fn add(&mut self, word: &str) {
        let word = word.trim();
        // One character is not worth a dictionary entry, and jieba's dictionary lines have no spaces.
        if word.chars().count() >= 2 && !word.contains(char::is_whitespace) {
            self.words.insert(word.to_owned());
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(SCHEMA_VERSION.as_bytes());
        for w in &self.words {
            h.update(w.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }

    fn jieba(&self) -> Jieba {
        static BASE: std::sync::LazyLock<Jieba> = std::sync::LazyLock::new(Jieba::new);
        let mut jieba = BASE.clone();
        for w in &self.words {
            jieba.add_word(w, None, None);
        }
        jieba
    }
}

/// The fields of a matter's document.
#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    status: Field,
    purpose: Field,
    domain: Field,
    region: Field,
    received: Field,
    flags: Field,
    target: Field,
    holder: Field,
    scope: Field,
    body: Field,
    body_masked: Field,
    body_hidden: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        status: b.add_text_field("status", STRING),
        purpose: b.add_text_field("purpose", STRING),
        // Every prefix of the domain path, so a domain finds its subdomains.
        domain: b.add_text_field("domain", STRING),
        // Every prefix of the region code, so a region finds the regions inside it.
        region: b.add_text_field("region", STRING),
        // Days from the common era, for date order and ranges.
        received: b.add_i64_field(
            "received",
            NumericOptions::default()
                .set_fast()
                .set_indexed()
                .set_stored(),
        ),
        flags: b.add_text_field("flags", STRING),
        // The unit complained about, and the units holding the matter (for who may see identities).
        target: b.add_text_field("target", STRING),
        holder: b.add_text_field("holder", STRING),
        // Every ancestor path of every holder: "my unit and everything below" is one term.
        scope: b.add_text_field("scope", STRING),
        body: b.add_text_field("body", text.clone()),
        body_masked: b.add_text_field("body_masked", text.clone()),
        body_hidden: b.add_text_field("body_hidden", text),
    };
    (b.build(), fields)
}

/// What the index records in each commit.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Payload {
    seq: i64,
    fingerprint: String,
}

/// The text of a matter as a viewer with this view may read it: the matter's summary and, for each
/// contact, its summary, demands and (unless hidden) full text, with the identities of every petitioner
/// of the matter masked or replaced as the API does in its detail view. The index and the snippets
/// both use it, so a snippet shows exactly the text that was matched.
pub fn matter_text(doc: &MatterDoc, view: IdentityView) -> String {
    let everyone: Vec<Petitioner> = doc
        .contacts
        .iter()
        .flat_map(|c| c.draft.petitioners.iter().cloned())
        .collect();
    let mut parts: Vec<&str> = vec![&doc.summary];
    for c in &doc.contacts {
        let d = &c.draft;
        parts.push(&d.summary);
        parts.push(&d.demands);
        if view != IdentityView::Hidden {
            parts.push(&d.full_text);
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() || !seen.insert(part) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&access::redact_identities(part, &everyone, view));
    }
    out
}

/// Who is searching, as the index needs it. Mirrors [`access::identity_view`] and [`access::can_see`]
/// (the server checks each hit against those again).
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The viewer's unit path; `None` searches every matter (operators' tools only).
    pub scope: Option<String>,
    /// The viewer's unit and every unit above it: a matter complained about any of these is hidden.
    pub chain: Vec<String>,
    pub unit: String,
    /// Petition bureaus see who made an accusation; other units only when they hold the matter.
    pub bureau: bool,
    /// Whether the roles see identities at all (else masked).
    pub identity_roles: bool,
}

impl Viewer {
    pub fn of(principal: &Principal, org: &Org) -> Self {
        Viewer {
            scope: Some(org.unit_path(&principal.unit)),
            chain: org
                .chain_up(&principal.unit)
                .map(|u| u.id.as_str().to_owned())
                .chain(std::iter::once(principal.unit.as_str().to_owned()))
                .collect(),
            unit: principal.unit.as_str().to_owned(),
            bureau: org
                .unit(&principal.unit)
                .is_some_and(|u| u.kind == xinfang_domain::org::UnitKind::PetitionBureau),
            identity_roles: access::identity_view(principal, &NoOne, org) == IdentityView::Full,
        }
    }

    /// Everything, identities in full: for tools and benchmarks, not for people.
    pub fn operator() -> Self {
        Viewer {
            scope: None,
            chain: Vec::new(),
            unit: String::new(),
            bureau: true,
            identity_roles: true,
        }
    }
}

/// A matter that concerns nobody: what the domain's rule says of it depends on the roles alone, so the
/// list of roles that see identities is not copied here.
struct NoOne;

impl access::MatterFacts for NoOne {
    fn purpose(&self) -> xinfang_domain::catalog::Purpose {
        xinfang_domain::catalog::Purpose::Suggestion
    }
    fn target_unit(&self) -> Option<&xinfang_domain::ids::UnitId> {
        None
    }
    fn holders(&self) -> Vec<&xinfang_domain::ids::UnitId> {
        Vec::new()
    }
}

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Relevance,
    /// Newest received first.
    Received,
}

/// A search: words and filters.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words separated by spaces; all must occur. Text in double quotes is one word.
    pub text: String,
    pub statuses: Vec<String>,
    /// A domain and its subdomains.
    pub domain: Option<String>,
    /// A region code and the regions inside it.
    pub region: Option<String>,
    /// Only matters held at or below this unit path.
    pub unit: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub order: SortOrder,
    pub limit: usize,
    pub offset: usize,
}

/// One matter found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub matter: String,
    /// BM25; 0 when ordered by date.
    pub score: f32,
    pub received_on: Option<NaiveDate>,
}

/// A passage of a matter's text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub text: String,
    /// Character (not byte) ranges within `text`, in order, not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

/// The hits of one page, how many matched (up to [`COUNT_CAP`]), and what makes their snippets.
pub struct Found {
    /// Matters matching, counted up to [`COUNT_CAP`].
    pub total: usize,
    /// False when more than [`COUNT_CAP`] matched (`total` is then [`COUNT_CAP`]).
    pub total_is_exact: bool,
    pub hits: Vec<Hit>,
    snippets: Snippets,
}

struct Snippets {
    searcher: tantivy::Searcher,
    words: Vec<String>,
    tokenizer: ZhTokenizer,
    fields: Fields,
}

impl Found {
    /// The best passage of `text` (made with [`matter_text`] for `view`) for this query. No highlight
    /// means the text does not hold the words: the matter was not found through what this viewer reads.
    pub fn snippet(&self, view: IdentityView, text: &str) -> Result<Snippet> {
        let s = &self.snippets;
        let field = match view {
            IdentityView::Full => s.fields.body,
            IdentityView::Masked => s.fields.body_masked,
            IdentityView::Hidden => s.fields.body_hidden,
        };
        let query = words_query(&s.tokenizer, &s.words, field);
        let mut generator = SnippetGenerator::create(&s.searcher, &*query, field)?;
        generator.set_max_num_chars(SNIPPET_BYTES);
        let snippet = generator.snippet(text);
        let fragment = snippet.fragment();
        let mut ranges = tantivy::snippet::collapse_overlapped_ranges(snippet.highlighted());
        ranges.retain(|r| r.start < r.end && r.end <= fragment.len());
        let chars = |byte: usize| fragment[..byte].chars().count();
        Ok(Snippet {
            text: fragment.to_owned(),
            highlights: ranges
                .into_iter()
                .map(|r| (chars(r.start), chars(r.end)))
                .collect(),
        })
    }
}

/// The words of a query string: split at spaces, except inside double quotes; characters that are
/// neither letters, digits nor marks dropped (so tantivy's syntax and control characters mean nothing).
pub fn query_words(text: &str) -> Result<Vec<String>, QueryError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let mut words = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        let quoted = i % 2 == 1;
        let pieces: Vec<&str> = if quoted {
            vec![part]
        } else {
            part.split(|c: char| c.is_whitespace() || c == '\u{3000}')
                .collect()
        };
        for piece in pieces {
            let word: String = piece
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            if !word.is_empty() {
                words.push(word);
            }
        }
    }
    if words.is_empty() {
        return Err(QueryError::Empty);
    }
    if words.len() > MAX_QUERY_WORDS {
        return Err(QueryError::TooManyWords);
    }
    Ok(words)
}

/// All words in one field: each word as jieba's words (boosted: a whole word ranks above a substring)
/// or as its Han bigrams in a row (any occurrence as a substring).
fn words_query(tokenizer: &ZhTokenizer, words: &[String], field: Field) -> Box<dyn Query> {
    let mut all: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in words {
        let (jieba, bigrams) = tokenizer.query_terms(word);
        let whole =
            sequence(field, &jieba).map(|q| Box::new(BoostQuery::new(q, 2.0)) as Box<dyn Query>);
        if bigrams.len() >= 2 && spells(&jieba, word) {
            // Three or more Han characters that jieba's words spell out: the bigrams' positions are
            // read only where those words do not match (crate::substring).
            if let Some(words) = whole {
                all.push((
                    Occur::Must,
                    Box::new(substring::SubstringQuery {
                        words,
                        bigrams: bigrams
                            .iter()
                            .map(|(at, t)| (*at - bigrams[0].0, Term::from_field_text(field, t)))
                            .collect(),
                    }),
                ));
                continue;
            }
        }
        let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(q) = whole {
            either.push((Occur::Should, q));
        }
        if let Some(q) = sequence(field, &bigrams) {
            either.push((Occur::Should, q));
        }
        if either.is_empty() {
            // A word the index cannot hold (e.g. only an emoji) matches nothing.
            return Box::new(EmptyQuery);
        }
        all.push((Occur::Must, Box::new(BooleanQuery::new(either))));
    }
    Box::new(BooleanQuery::new(all))
}

/// Whether jieba's words of `word`, in a row, are `word` itself, all Han characters: then a text where
/// they match holds `word`, so holds its bigrams in a row.
fn spells(jieba: &[(usize, String)], word: &str) -> bool {
    let mut at = 0;
    let mut spelt = String::with_capacity(word.len());
    for (offset, w) in jieba {
        if *offset != at {
            return false;
        }
        at += w.chars().count();
        spelt.push_str(w);
    }
    spelt == word && word.chars().all(tokenizer::is_han)
}

/// Terms at their character offsets: one term, or a phrase.
fn sequence(field: Field, terms: &[(usize, String)]) -> Option<Box<dyn Query>> {
    match terms {
        [] => None,
        [(_, t)] => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, t),
            IndexRecordOption::WithFreqs,
        ))),
        _ => {
            let first = terms[0].0;
            Some(Box::new(PhraseQuery::new_with_offset(
                terms
                    .iter()
                    .map(|(at, t)| (at - first, Term::from_field_text(field, t)))
                    .collect(),
            )))
        }
    }
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| (Occur::Should, term(field, v)))
            .collect(),
    ))
}

fn days(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

/// A full-text index of matters in a directory of its own.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    tokenizer: ZhTokenizer,
    fingerprint: String,
    writer: Arc<Mutex<Option<IndexWriter>>>,
    /// The chain sequence the index holds everything up to.
    indexed: AtomicI64,
    catching_up: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("indexed", &self.indexed)
            .finish()
    }
}

/// What opening did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The index was there and caught up with this many matters.
    CaughtUp(usize),
    /// The index was missing, unreadable or outdated and was rebuilt with this many matters.
    Rebuilt(usize),
}

impl SearchIndex {
    /// Open the index in `dir` (creating it), rebuilding it from the store when it is missing, unreadable
    /// or made with another schema or dictionary, and otherwise catching up with the log.
    ///
    /// The index lives in `dir/index`; `dir` may hold other files (the user dictionary).
    pub async fn open(
        dir: &Path,
        store: &Store,
        dictionary: &Dictionary,
    ) -> Result<(Self, Opened)> {
        let fingerprint = dictionary.fingerprint();
        let tokenizer = ZhTokenizer::new(Arc::new(dictionary.jieba()));
        let index_dir = dir.join("index");
        let existing = Self::open_existing(&index_dir, &fingerprint);
        let (index, seq, fresh) = match existing {
            Some((index, seq)) => (index, seq, false),
            None => (Self::create(&index_dir)?, 0, true),
        };
        index
            .tokenizers()
            .register(TOKENIZER, TextAnalyzer::from(tokenizer.clone()));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let (_, fields) = schema();
        let this = SearchIndex {
            dir: dir.to_owned(),
            index,
            reader,
            fields,
            tokenizer,
            fingerprint,
            writer: Arc::new(Mutex::new(None)),
            indexed: AtomicI64::new(seq),
            catching_up: tokio::sync::Mutex::new(()),
        };
        let opened = if fresh {
            Opened::Rebuilt(this.rebuild(store).await?)
        } else {
            Opened::CaughtUp(this.catch_up(store).await?)
        };
        Ok((this, opened))
    }

    /// Throw the index in `dir` away and build it again from the store (`xinfang reindex`).
    pub async fn reindex(
        dir: &Path,
        store: &Store,
        dictionary: &Dictionary,
    ) -> Result<(Self, usize)> {
        let index_dir = dir.join("index");
        if index_dir.exists() {
            std::fs::remove_dir_all(&index_dir).map_err(|source| SearchError::Dir {
                path: index_dir.display().to_string(),
                source,
            })?;
        }
        let (index, opened) = Self::open(dir, store, dictionary).await?;
        let n = match opened {
            Opened::Rebuilt(n) | Opened::CaughtUp(n) => n,
        };
        Ok((index, n))
    }

    /// The index in `dir` and the sequence it holds, if it is there, readable and of this fingerprint.
    fn open_existing(dir: &Path, fingerprint: &str) -> Option<(Index, i64)> {
        let index = Index::open_in_dir(dir).ok()?;
        let metas = index.load_metas().ok()?;
        let payload: Payload = serde_json::from_str(metas.payload.as_deref()?).ok()?;
        if payload.fingerprint != fingerprint {
            tracing::info!("全文索引的结构或词典已变更，将重建");
            return None;
        }
        // Every segment must be readable, or the index is rebuilt.
        let searchable = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .ok()
            .map(|r: IndexReader| r.searcher().segment_readers().len());
        searchable.map(|_| (index, payload.seq))
    }

    fn create(dir: &Path) -> Result<Index> {
        let io = |source| SearchError::Dir {
            path: dir.display().to_string(),
            source,
        };
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io)?;
        }
        std::fs::create_dir_all(dir).map_err(io)?;
        Ok(Index::create_in_dir(dir, schema().0)?)
    }

    /// The chain sequence the index holds everything up to.
    pub fn indexed_seq(&self) -> i64 {
        self.indexed.load(AtomicOrdering::SeqCst)
    }

    /// Index every matter changed since the index's sequence, if the chain moved; how many. Cheap when
    /// nothing was written: one read of the chain head.
    pub async fn catch_up(&self, store: &Store) -> Result<usize> {
        if store.head_seq().await? <= self.indexed_seq() {
            return Ok(0);
        }
        let _one = self.catching_up.lock().await;
        let head = store.head_seq().await?;
        let since = self.indexed_seq();
        if head <= since {
            return Ok(0);
        }
        let cursor = FeedCursor {
            changed_seq: since,
            id: None,
        };
        let n = self.feed(store, cursor, false, SMALL_HEAP, 1).await?;
        if n > 0 {
            self.commit(head).await?;
        }
        self.indexed.store(head, AtomicOrdering::SeqCst);
        Ok(n)
    }

    /// Reindex every matter into an empty index; how many.
    pub async fn rebuild(&self, store: &Store) -> Result<usize> {
        let _one = self.catching_up.lock().await;
        let head = store.head_seq().await?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        {
            let writer = Arc::clone(&self.writer);
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || -> Result<()> {
                let mut slot = writer.lock().expect("not poisoned");
                *slot = None;
                let w: IndexWriter = index.writer_with_num_threads(threads, BIG_HEAP)?;
                w.delete_all_documents()?;
                *slot = Some(w);
                Ok(())
            })
            .await
            .map_err(|_| SearchError::Interrupted)??;
        }
        let n = self
            .feed(store, FeedCursor::default(), true, BIG_HEAP, threads)
            .await?;
        self.commit(head).await?;
        // Back to a small writer: the big one's buffers are not needed between rebuilds.
        self.settle().await?;
        self.indexed.store(head, AtomicOrdering::SeqCst);
        Ok(n)
    }

    /// Let the writer finish merging the segments of what was committed, then release it (the next
    /// write opens a small one). Dropping a writer would abandon its merges and leave a rebuilt index
    /// in many small segments, which every query pays for.
    pub async fn settle(&self) -> Result<()> {
        let writer = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || -> Result<()> {
            if let Some(w) = writer.lock().expect("not poisoned").take() {
                w.wait_merging_threads()?;
            }
            Ok(())
        })
        .await
        .map_err(|_| SearchError::Interrupted)??;
        self.reader.reload()?;
        Ok(())
    }

    /// Read matters after `cursor` batch by batch and hand them to the writer; the next batch is read
    /// while the writer's threads segment the last one.
    async fn feed(
        &self,
        store: &Store,
        mut cursor: FeedCursor,
        fresh: bool,
        heap: usize,
        threads: usize,
    ) -> Result<usize> {
        let mut count = 0;
        let mut pending: Option<tokio::task::JoinHandle<Result<()>>> = None;
        loop {
            let batch = store.matters_changed_after(&cursor, BATCH).await?;
            if let Some(task) = pending.take() {
                task.await.map_err(|_| SearchError::Interrupted)??;
            }
            let Some(last) = batch.last() else { break };
            cursor = FeedCursor {
                changed_seq: last.changed_seq,
                id: Some(last.id.clone()),
            };
            count += batch.len();
            let writer = Arc::clone(&self.writer);
            let index = self.index.clone();
            let fields = self.fields;
            pending = Some(tokio::task::spawn_blocking(move || {
                let mut slot = writer.lock().expect("not poisoned");
                if slot.is_none() {
                    *slot = Some(index.writer_with_num_threads(threads, heap)?);
                }
                let w = slot.as_mut().expect("just set");
                for doc in &batch {
                    if !fresh {
                        w.delete_term(Term::from_field_text(fields.id, &doc.id));
                    }
                    w.add_document(document(&fields, doc))?;
                }
                Ok(())
            }));
        }
        Ok(count)
    }

    async fn commit(&self, seq: i64) -> Result<()> {
        let writer = Arc::clone(&self.writer);
        let index = self.index.clone();
        let payload = serde_json::to_string(&Payload {
            seq,
            fingerprint: self.fingerprint.clone(),
        })
        .expect("a payload serializes");
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut slot = writer.lock().expect("not poisoned");
            if slot.is_none() {
                *slot = Some(index.writer_with_num_threads(1, SMALL_HEAP)?);
            }
            let w = slot.as_mut().expect("just set");
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            Ok(())
        })
        .await
        .map_err(|_| SearchError::Interrupted)??;
        self.reader.reload()?;
        Ok(())
    }

    /// Index documents made elsewhere (benchmarks) into this index, then commit at `seq`.
    pub async fn index_docs(&self, docs: Vec<MatterDoc>, seq: i64) -> Result<()> {
        let writer = Arc::clone(&self.writer);
        let index = self.index.clone();
        let fields = self.fields;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut slot = writer.lock().expect("not poisoned");
            if slot.is_none() {
                *slot = Some(index.writer_with_num_threads(threads, BIG_HEAP)?);
            }
            let w = slot.as_mut().expect("just set");
            for doc in &docs {
                w.add_document(document(&fields, doc))?;
            }
            Ok(())
        })
        .await
        .map_err(|_| SearchError::Interrupted)??;
        if seq >= 0 {
            self.commit(seq).await?;
            self.indexed.store(seq, AtomicOrdering::SeqCst);
        }
        Ok(())
    }

    /// Matters matching the query that this viewer may see, counted up to [`COUNT_CAP`].
    pub fn search(&self, q: &SearchQuery, viewer: &Viewer) -> Result<Found> {
        let words = query_words(&q.text)?;
        let f = &self.fields;
        let query = self.query(q, viewer, &words);
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 1000);
        let top = TopDocs::with_limit(limit).and_offset(q.offset);
        let (total, total_is_exact) = count_up_to(&searcher, &*query, COUNT_CAP)?;
        let hits: Vec<(f32, DocAddress)> = match q.order {
            SortOrder::Relevance => searcher.search(&*query, &top.order_by_score())?,
            SortOrder::Received => searcher
                .search(
                    &*query,
                    &top.order_by_fast_field::<i64>("received", Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect(),
        };
        let mut out = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let matter = doc
                .get_first(f.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let received_on = doc
                .get_first(f.received)
                .and_then(|v| v.as_i64())
                .and_then(|d| i32::try_from(d).ok())
                .and_then(NaiveDate::from_num_days_from_ce_opt);
            out.push(Hit {
                matter,
                score,
                received_on,
            });
        }
        Ok(Found {
            total,
            total_is_exact,
            hits: out,
            snippets: Snippets {
                searcher,
                words,
                tokenizer: self.tokenizer.clone(),
                fields: self.fields,
            },
        })
    }

    fn query(&self, q: &SearchQuery, viewer: &Viewer, words: &[String]) -> Box<dyn Query> {
        let f = &self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Which text each matter is matched on: the rule of `access::identity_view`, as terms.
        let mut hidden_when: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !viewer.chain.is_empty() {
            hidden_when.push((Occur::Should, any_of(f.target, &viewer.chain)));
        }
        if !viewer.bureau {
            hidden_when.push((
                Occur::Should,
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, term(f.purpose, "accusation")),
                    (Occur::MustNot, term(f.holder, &viewer.unit)),
                ])),
            ));
        }
        let seen = if viewer.identity_roles {
            f.body
        } else {
            f.body_masked
        };
        let visible_text = words_query(&self.tokenizer, words, seen);
        let text: Box<dyn Query> = if hidden_when.is_empty() {
            visible_text
        } else {
            let hidden =
                || Box::new(BooleanQuery::new(hidden_clone(&hidden_when))) as Box<dyn Query>;
            Box::new(BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, visible_text),
                        (Occur::MustNot, hidden()),
                    ])),
                ),
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(vec![
                        (
                            Occur::Must,
                            words_query(&self.tokenizer, words, f.body_hidden),
                        ),
                        (Occur::Must, hidden()),
                    ])),
                ),
            ]))
        };
        must.push((Occur::Must, text));
        if let Some(scope) = &viewer.scope {
            must.push((Occur::Must, term(f.scope, scope)));
        }
        if let Some(unit) = &q.unit {
            must.push((Occur::Must, term(f.scope, unit)));
        }
        if !q.statuses.is_empty() {
            must.push((Occur::Must, any_of(f.status, &q.statuses)));
        }
        if let Some(d) = &q.domain {
            must.push((Occur::Must, term(f.domain, d.trim_end_matches('/'))));
        }
        if let Some(r) = &q.region {
            must.push((Occur::Must, term(f.region, r.trim_end_matches("00"))));
        }
        if q.received_from.is_some() || q.received_to.is_some() {
            let bound = |d: Option<NaiveDate>| match d {
                Some(d) => Bound::Included(Term::from_field_i64(f.received, days(d))),
                None => Bound::Unbounded,
            };
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(q.received_from),
                    bound(q.received_to),
                )),
            ));
        }
        Box::new(BooleanQuery::new(must))
    }

    /// Keep the index caught up with the log every `every`, for as long as the index is in use: with
    /// several server processes on one database, each finds what the others wrote within about that
    /// long even if nobody searches.
    pub fn follow(
        self: &Arc<Self>,
        store: Store,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(index) = this.upgrade() else { break };
                if let Err(e) = index.catch_up(&store).await {
                    tracing::warn!(error = %e, "全文索引追赶失败，稍后重试");
                }
            }
        })
    }

    /// Every matter whose text (as written) holds all the words, unranked: for benchmarks and tools.
    pub fn all_matching(&self, text: &str) -> Result<Vec<String>> {
        let words = query_words(text)?;
        let query = words_query(&self.tokenizer, &words, self.fields.body);
        let searcher = self.reader.searcher();
        let docs = searcher.search(&*query, &tantivy::collector::DocSetCollector)?;
        let mut out = Vec::with_capacity(docs.len());
        for address in docs {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                out.push(id.to_owned());
            }
        }
        Ok(out)
    }

    /// Commit nothing more and release the directory's lock.
    pub fn close(&self) {
        *self.writer.lock().expect("not poisoned") = None;
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// How many live documents match, counting no further than `cap`; whether that is all of them.
fn count_up_to(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    cap: usize,
) -> Result<(usize, bool)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut n = 0;
    for reader in searcher.segment_readers() {
        let mut docs = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n > cap {
                    return Ok((cap, false));
                }
            }
            doc = docs.advance();
        }
    }
    Ok((n, true))
}

fn hidden_clone(clauses: &[(Occur, Box<dyn Query>)]) -> Vec<(Occur, Box<dyn Query>)> {
    clauses.iter().map(|(o, q)| (*o, q.box_clone())).collect()
}

/// A matter's document.
fn document(f: &Fields, doc: &MatterDoc) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.id, &doc.id);
    d.add_text(f.status, &doc.status);
    d.add_text(f.purpose, xinfang_domain::catalog::code(&doc.purpose));
    let mut path = String::new();
    for part in doc.domain.split('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
        d.add_text(f.domain, &path);
    }
    for (i, _) in doc.region.char_indices().skip(1) {
        d.add_text(f.region, &doc.region[..i]);
    }
    d.add_text(f.region, &doc.region);
    if let Ok(day) = doc.received_on.parse::<NaiveDate>() {
        d.add_i64(f.received, days(day));
    }
    for flag in &doc.flags {
        d.add_text(f.flags, flag);
    }
    if let Some(t) = &doc.target_unit {
        d.add_text(f.target, t.as_str());
    }
    let mut scopes = BTreeSet::new();
    for (path, unit) in doc.holder_paths.iter().zip(&doc.holders) {
        d.add_text(f.holder, unit.as_str());
        for (i, c) in path.char_indices() {
            if c == xinfang_domain::org::UNIT_PATH_SEPARATOR {
                scopes.insert(&path[..=i]);
            }
        }
    }
    for s in scopes {
        d.add_text(f.scope, s);
    }
    d.add_text(f.body, matter_text(doc, IdentityView::Full));
    d.add_text(f.body_masked, matter_text(doc, IdentityView::Masked));
    d.add_text(f.body_hidden, matter_text(doc, IdentityView::Hidden));
    d
}

#[cfg(test)]
mod tests;

//! Near-duplicate texts: MinHash signatures over character 3-grams, banded for locality-sensitive lookup
//! (only texts sharing a band are looked at, so a query does not scan the index), then every candidate
//! verified exactly on its 3-gram set.
//!
//! The score is the share of the shorter text's 3-grams found in the other (containment): a copy with a
//! greeting or a signature added, or with paragraphs moved, still scores near 1, where Jaccard would fall
//! with every line added. Jaccard is reported beside it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::normalize;

/// Characters per shingle: enough to tell Chinese phrases apart, few enough that an edit touches few.
const SHINGLE: usize = 3;
/// Hash functions in a signature, as `BANDS` bands of `ROWS`: two texts whose 3-gram sets have Jaccard
/// similarity s share a band with probability 1 − (1 − s⁴)³², which is over 0.99 from s = 0.6 and 0.87 at
/// s = 0.5 (a text doubled by additions), and 0.23 at s = 0.3.
const BANDS: usize = 32;
const ROWS: usize = 4;
const HASHES: usize = BANDS * ROWS;
/// Candidates verified exactly at most, per lookup: those sharing the most bands. A copy shares most
/// of its 32 bands; texts that share one or two are mostly other letters with a phrase in common.
const MAX_VERIFIED: usize = 256;
/// Texts read per band key at most, the latest first. A key that hundreds of texts share is a phrase
/// everyone writes, not a sign of a copy; a copy is still found through its other bands.
const MAX_CHAIN: usize = 256;
/// Texts shorter than this (after normalization) say too little to call anything a copy of them.
pub const MIN_CHARS: usize = 12;

/// A text's 3-grams, hashed, sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shingles(Vec<u32>);

impl Shingles {
    pub fn of(text: &str) -> Shingles {
        let chars: Vec<char> = normalize(text).chars().collect();
        let mut hashes: Vec<u32> = if chars.len() < SHINGLE {
            vec![hash_chars(&chars)]
        } else {
            chars.windows(SHINGLE).map(hash_chars).collect()
        };
        if chars.is_empty() {
            hashes.clear();
        }
        hashes.sort_unstable();
        hashes.dedup();
        Shingles(hashes)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The exact similarity of two texts.
    pub fn similarity(&self, other: &Shingles) -> Similarity {
        similarity(&self.0, &other.0)
    }

    fn signature(&self) -> [u32; HASHES] {
        let mut signature = [u32::MAX; HASHES];
        for &s in &self.0 {
            for (slot, seed) in signature.iter_mut().zip(&SEEDS) {
                *slot = (*slot).min(mix(u64::from(s) ^ seed) as u32);
            }
        }
        signature
    }

    /// One key per band; the band is mixed in, so equal rows in different bands do not meet.
    /// 32 bits: a rare collision only adds a candidate, which verification then drops.
    fn band_keys(&self) -> impl Iterator<Item = u32> {
        let signature = self.signature();
        (0..BANDS).map(move |band| {
            let rows = &signature[band * ROWS..(band + 1) * ROWS];
            rows.iter()
                .fold(mix(band as u64), |acc, &v| mix(acc ^ u64::from(v))) as u32
        })
    }
}

/// How many 3-grams two sorted sets share.
fn common(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The exact similarity of two sorted 3-gram sets.
fn similarity(a: &[u32], b: &[u32]) -> Similarity {
    let common = common(a, b);
    let smaller = a.len().min(b.len());
    let union = a.len() + b.len() - common;
    let ratio = |x: usize, y: usize| if y == 0 { 0.0 } else { x as f64 / y as f64 };
    Similarity {
        containment: ratio(common, smaller),
        jaccard: ratio(common, union),
    }
}

/// How alike two texts are, from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Share of the shorter text's 3-grams found in the other: the score.
    pub containment: f64,
    /// Shared 3-grams over all 3-grams of both.
    pub jaccard: f64,
}

/// A registered text close to the one asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDuplicate<Id> {
    pub id: Id,
    pub similarity: Similarity,
}

/// Registered texts, found again by near-duplicates of them.
///
/// Laid out for a million texts in one process: every text's 3-grams in one array, and each band's
/// texts chained through one array of slots (text × band), so a text costs its 3-grams (4 bytes each)
/// plus about 0.4 KB, with no allocation of its own.
#[derive(Debug)]
pub struct DedupIndex<Id> {
    ids: Vec<Id>,
    /// Where each text's 3-grams start in `shingles`; one more entry than texts.
    starts: Vec<u32>,
    shingles: Vec<u32>,
    /// Band key → the latest slot (text × `BANDS` + band) with that key.
    heads: HashMap<u32, u32, BuildHasherDefault<PreMixed>>,
    /// Slot → the previous slot with the same key, or [`NO_SLOT`].
    earlier: Vec<u32>,
}

const NO_SLOT: u32 = u32::MAX;

impl<Id: Clone> Default for DedupIndex<Id> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Id: Clone> DedupIndex<Id> {
    pub fn new() -> Self {
        Self {
            ids: Vec::new(),
            starts: vec![0],
            shingles: Vec::new(),
            heads: HashMap::default(),
            earlier: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Bytes held, roughly (the ids' own heap data aside).
    pub fn memory_bytes(&self) -> usize {
        let slot = std::mem::size_of::<u32>();
        self.ids.capacity() * std::mem::size_of::<Id>()
            + (self.starts.capacity() + self.shingles.capacity() + self.earlier.capacity()) * slot
            // hashbrown: key, value and one control byte per bucket.
            + self.heads.capacity() * (2 * slot + 1)
    }

    /// Add a text; answers its place, for [`DedupIndex::similarity_at`]. Texts too short to judge are
    /// kept out (nothing is a copy of "请处理"), and have no place.
    pub fn insert(&mut self, id: Id, text: &str) -> Option<u32> {
        self.insert_shingles(id, Shingles::of(text))
    }

    /// As [`DedupIndex::insert`], for a text already cut into 3-grams.
    pub fn insert_shingles(&mut self, id: Id, shingles: Shingles) -> Option<u32> {
        if shingles.len() + SHINGLE - 1 < MIN_CHARS {
            return None;
        }
        let at = u32::try_from(self.ids.len()).expect("fewer than 4 billion texts");
        for (band, key) in shingles.band_keys().enumerate() {
            let slot = at
                .checked_mul(BANDS as u32)
                .and_then(|s| s.checked_add(band as u32))
                .expect("fewer than 134 million texts");
            let previous = self.heads.insert(key, slot).unwrap_or(NO_SLOT);
            self.earlier.push(previous);
        }
        self.shingles.extend_from_slice(&shingles.0);
        let end = u32::try_from(self.shingles.len()).expect("fewer than 4 billion 3-grams");
        self.starts.push(end);
        self.ids.push(id);
        Some(at)
    }

    /// The exact similarity of `query` to the text at `place` (as [`DedupIndex::insert`] answered).
    pub fn similarity_at(&self, place: u32, query: &Shingles) -> Similarity {
        similarity(&query.0, self.shingles_of(place))
    }

    fn shingles_of(&self, at: u32) -> &[u32] {
        let at = at as usize;
        &self.shingles[self.starts[at] as usize..self.starts[at + 1] as usize]
    }

    /// The registered texts whose score against `text` is at least `threshold`, best first.
    pub fn near_duplicates(&self, text: &str, threshold: f64) -> Vec<NearDuplicate<Id>> {
        self.near_duplicates_of(&Shingles::of(text), threshold)
    }

    /// As [`DedupIndex::near_duplicates`], for a text already cut into 3-grams.
    pub fn near_duplicates_of(&self, query: &Shingles, threshold: f64) -> Vec<NearDuplicate<Id>> {
        if query.len() + SHINGLE - 1 < MIN_CHARS {
            return Vec::new();
        }
        let mut candidates: Vec<u32> = Vec::new();
        for key in query.band_keys() {
            let mut slot = self.heads.get(&key).copied().unwrap_or(NO_SLOT);
            let mut walked = 0;
            while slot != NO_SLOT && walked < MAX_CHAIN {
                candidates.push(slot / BANDS as u32);
                slot = self.earlier[slot as usize];
                walked += 1;
            }
        }
        candidates.sort_unstable();
        // Texts sharing more bands are likelier copies: when many share some band (a common phrase, a
        // template), only the most likely are verified, which bounds the work of any one lookup.
        let mut by_bands: Vec<(u32, u32)> = Vec::with_capacity(candidates.len());
        for at in candidates {
            match by_bands.last_mut() {
                Some((last, bands)) if *last == at => *bands += 1,
                _ => by_bands.push((at, 1)),
            }
        }
        if by_bands.len() > MAX_VERIFIED {
            by_bands.select_nth_unstable_by(MAX_VERIFIED, |a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            by_bands.truncate(MAX_VERIFIED);
        }
        let mut found: Vec<NearDuplicate<Id>> = by_bands
            .into_iter()
            .filter_map(|(at, _)| {
                let similarity = similarity(&query.0, self.shingles_of(at));
                (similarity.containment >= threshold).then(|| NearDuplicate {
                    id: self.ids[at as usize].clone(),
                    similarity,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.similarity
                .containment
                .total_cmp(&a.similarity.containment)
                .then(b.similarity.jaccard.total_cmp(&a.similarity.jaccard))
        });
        found
    }
}

/// Band keys are already well mixed: hashing them again would only cost time.
#[derive(Default)]
struct PreMixed(u64);

impl Hasher for PreMixed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        // hashbrown takes its control bits from the top: spread the key over the whole word.
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// FNV-1a over the characters, folded to 32 bits.
fn hash_chars(chars: &[char]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        h ^= u64::from(*c as u32);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h) as u32
}

/// splitmix64's finalizer: a cheap, well-mixed 64-bit permutation.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One seed per hash function, fixed so that signatures are the same in every process and every run.
/// (Each function re-mixes the 3-gram's hash with its seed. Cheaper families — a·x + b over 32 or 64
/// bits — were tried: four times faster to index, but a few more copies missed on the labelled set,
/// which is the figure that matters.)
const SEEDS: [u64; HASHES] = {
    let mut seeds = [0u64; HASHES];
    let mut i = 0;
    while i < HASHES {
        seeds[i] = mix(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i as u64 + 1));
        i += 1;
    }
    seeds
};

//! Hot spots (热点): groups of matters about one problem in one place within a time window — an estate's
//! lift, a factory's unpaid wages, a school's fees — written by different people in different words.
//!
//! Looser than near-copies ([`crate::dedup`]): two letters about one estate's lift share the estate's
//! name, the facts and a few phrases, not their sentences. So each matter's text is weighed as TF-IDF
//! over character 2-grams of its canonical form and its numbers (words of every letter, or of every
//! letter of one place, weigh little; the estate's name and the facts much), and two matters are alike
//! when the cosine of their vectors reaches a threshold. Matters are compared only within one block (the
//! county of their region) and one kind of complaint (the first level of their domain), and only with
//! matters that share two of their few heaviest 2-grams, found through an inverted index of those, so the work grows with the
//! number of plausible pairs instead of all pairs. Alike matters are grouped by their densest parts:
//! a matter with at least two alike matters is a core; cores alike are one hot spot, and a matter alike
//! to a core joins the core it is most alike to (so one stray pair cannot chain two problems into one).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::normalize;

/// One matter as the clustering sees it.
#[derive(Debug, Clone)]
pub struct Matter<Id> {
    pub id: Id,
    /// What the matter says: its summary and its contacts' texts, in any form ([`normalize`] is applied).
    pub text: String,
    /// Day received, as a day number (any fixed origin, e.g. days from the common era).
    pub day: i32,
    /// GB/T 2260 code of the place (6, 9 or 12 digits); may be empty when unknown.
    pub region: String,
    /// The kind of complaint: the first level of its content domain (e.g. "城乡建设"). Matters of
    /// different domains are never one problem (letters about one company's wages and about its
    /// pollution are two problems). Empty when unknown: such matters are compared among themselves.
    pub domain: String,
    /// A collective visit (集体访) among its contacts.
    pub collective: bool,
    /// Taken to the national level (进京) by one of its contacts.
    pub national: bool,
    /// 人次 over its contacts.
    pub persons: u32,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct Params {
    /// First day of the window (inclusive).
    pub from: i32,
    /// Last day of the window (inclusive).
    pub to: i32,
    /// Smallest hot spot reported, in matters.
    pub min_size: usize,
    /// Cosine of TF-IDF vectors from which two matters count as about the same problem.
    pub threshold: f32,
    /// Leading digits of the region code that must agree (6: the same county); 0 compares across places.
    pub block_digits: usize,
}

impl Params {
    /// The defaults, over a window.
    pub fn window(from: i32, to: i32) -> Self {
        Self {
            from,
            to,
            min_size: 5,
            threshold: 0.5,
            block_digits: 6,
        }
    }
}

/// One hot spot.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotspot<Id> {
    /// The matters in it, oldest first.
    pub members: Vec<Id>,
    /// 人次 over its matters.
    pub people: u64,
    /// The region all its matters lie in (the longest common code at a GB/T 2260 level; empty if none).
    pub region: String,
    pub first_day: i32,
    pub last_day: i32,
    /// Matters received in the earlier half of the window, and in the later half.
    pub earlier: usize,
    pub later: usize,
    /// Share of its matters with a collective visit, and taken to the national level.
    pub collective_share: f64,
    pub national_share: f64,
    /// The phrases that tell it apart: found in at least half of its matters (never fewer than two) and
    /// rare elsewhere; most telling first.
    pub label: Vec<String>,
    /// Mean cosine of its matters to their centroid: how alike they are (1 = the same text).
    pub cohesion: f32,
}

impl<Id> Hotspot<Id> {
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// Later half over earlier half; `None` when nothing came in the earlier half.
    pub fn growth(&self) -> Option<f64> {
        (self.earlier > 0).then(|| self.later as f64 / self.earlier as f64)
    }
}

/// How candidate pairs are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Through an inverted index of each matter's heaviest 2-grams, within blocks (the product path).
    Indexed,
    /// Every pair of the window, within blocks: the exact baseline the indexed path is measured against.
    AllPairs,
}

/// The hot spots among the `matters` received in the window, largest first. Matters outside the window
/// are not clustered: they only tell which wording is common (pass a few months before the window, so a
/// kind of letter that comes every month is known as such).
pub fn hotspots<Id: Clone>(matters: &[Matter<Id>], params: &Params) -> Vec<Hotspot<Id>> {
    hotspots_with(matters, params, Pairing::Indexed)
}

/// [`hotspots`] with a choice of how pairs are found (for measurement).
pub fn hotspots_with<Id: Clone>(
    matters: &[Matter<Id>],
    params: &Params,
    pairing: Pairing,
) -> Vec<Hotspot<Id>> {
    let texts: Vec<Vec<char>> = matters
        .iter()
        .map(|m| normalize(&m.text).chars().collect())
        .collect();
    let blocks: Vec<&str> = matters
        .iter()
        .map(|m| block_of(&m.region, params.block_digits))
        .collect();
    let in_window: Vec<bool> = matters
        .iter()
        .map(|m| m.day >= params.from && m.day <= params.to)
        .collect();
    let mut space = Space::build(&texts, &blocks, &in_window);
    let inside: Vec<usize> = (0..matters.len()).filter(|&i| in_window[i]).collect();
    // Matters are compared within one place and one kind of complaint; the statistics above count
    // places only.
    let kinds: Vec<String> = matters
        .iter()
        .zip(&blocks)
        .map(|(m, b)| format!("{b}\u{1f}{}", first_level(&m.domain)))
        .collect();
    let mut seconds: HashMap<&str, u32> = HashMap::new();
    space.second = matters
        .iter()
        .map(|m| match second_level(&m.domain) {
            "" => 0,
            s => {
                let next = seconds.len() as u32 + 1;
                *seconds.entry(s).or_insert(next)
            }
        })
        .collect();
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    let edges = match pairing {
        Pairing::Indexed => space.indexed_pairs(&inside, &kinds, params.threshold),
        Pairing::AllPairs => space.all_pairs(&inside, &kinds, params.threshold),
    };
    let groups = group(matters.len(), &edges);
    let mid = params.from + (params.to - params.from + 1) / 2;
    let mut out: Vec<Hotspot<Id>> = groups
        .into_iter()
        .filter(|g| g.len() >= params.min_size.max(2))
        .map(|mut g| {
            g.sort_by_key(|&i| (matters[i].day, i));
            describe(&g, matters, &texts, &space, mid)
        })
        .collect();
    out.sort_by(|a, b| {
        b.size()
            .cmp(&a.size())
            .then(b.last_day.cmp(&a.last_day))
            .then(a.first_day.cmp(&b.first_day))
    });
    out
}

/// The first level of a domain path ("城乡建设" of "城乡建设/物业").
fn first_level(domain: &str) -> &str {
    domain.split('/').next().unwrap_or("").trim()
}

/// The second level of a domain path; empty when there is none.
fn second_level(domain: &str) -> &str {
    domain.split_once('/').map_or("", |(_, s)| s.trim())
}

/// Two matters of one domain whose second levels are both known and differ (问题楼盘 and 物业 of
/// 城乡建设) are less likely one problem: their cosine is scaled by this.
const OTHER_SECOND_LEVEL: f32 = 0.8;

fn block_of(region: &str, digits: usize) -> &str {
    match region.char_indices().nth(digits) {
        Some((at, _)) => &region[..at],
        None => region,
    }
}

/// A fast, fixed hasher for integer keys (std's default is DoS-resistant and several times slower).
#[derive(Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = mix(self.0 ^ u64::from(*b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = mix(self.0 ^ v);
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = mix(self.0 ^ u64::from(v));
    }
}

const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Mix>>;

fn bigram(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

/// The numbers of a text as whole features, each with the character after it ("209户", "2023年",
/// "9777号"): amounts, dates, counts and case numbers tell one problem from another, which their
/// digits' 2-grams (shared by every number) cannot. Keys apart from any 2-gram's (the top bit set).
fn numbers(chars: &[char]) -> impl Iterator<Item = u64> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < chars.len() {
            if !chars[at].is_ascii_digit() {
                at += 1;
                continue;
            }
            let start = at;
            while at < chars.len() && chars[at].is_ascii_digit() {
                at += 1;
            }
            let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
            for &c in &chars[start..(at + 1).min(chars.len())] {
                h = mix(h ^ u64::from(c as u32));
            }
            return Some(h | (1 << 63));
        }
        None
    })
}

/// Heaviest 2-grams per matter put in the inverted index. Matters about one problem share its names
/// (estate, company, school), which are rare and so among the heaviest of each.
const KEYS: usize = 12;
/// Keys held by more matters of one place than this are skipped (a word of the place, not of a problem).
const MAX_POSTING: usize = 250;
/// Keys two matters must share to be compared exactly.
const MIN_SHARED_KEYS: u8 = 2;

/// The TF-IDF vectors of the window's matters.
struct Space {
    grams: FastMap<u64, u32>,
    df: Vec<u32>,
    /// In how many places each 2-gram is found.
    spread: Vec<u32>,
    /// Per matter, its place (an index into `places`).
    place_of: Vec<u32>,
    /// Per place: the matters its rarity is judged on (plus one when smoothed), and their document
    /// frequencies (feature, matters), by feature.
    places: Vec<(u32, Vec<(u32, u32)>)>,
    /// Per matter: (2-gram, weight), by 2-gram, L2-normalized.
    vectors: Vec<Vec<(u32, f32)>>,
    /// Per matter, its domain's second level (0 when unknown).
    second: Vec<u32>,
}

impl Space {
    /// Vectors of every text: spread over places from all of them, rarity within each place from its
    /// history (see below).
    fn build(texts: &[Vec<char>], blocks: &[&str], in_window: &[bool]) -> Space {
        let mut grams: FastMap<u64, u32> = FastMap::default();
        let mut df: Vec<u32> = Vec::new();
        let mut counts: Vec<Vec<(u32, u32)>> = Vec::with_capacity(texts.len());
        let mut ids: Vec<u32> = Vec::new();
        for chars in texts {
            ids.clear();
            for w in chars.windows(2) {
                let next = grams.len() as u32;
                let id = *grams.entry(bigram(w[0], w[1])).or_insert(next);
                if id == next {
                    df.push(0);
                }
                ids.push(id);
            }
            for key in numbers(chars) {
                let next = grams.len() as u32;
                let id = *grams.entry(key).or_insert(next);
                if id == next {
                    df.push(0);
                }
                ids.push(id);
            }
            ids.sort_unstable();
            let mut tf: Vec<(u32, u32)> = Vec::new();
            for &id in &ids {
                match tf.last_mut() {
                    Some((last, n)) if *last == id => *n += 1,
                    _ => tf.push((id, 1)),
                }
            }
            for (id, _) in &tf {
                df[*id as usize] += 1;
            }
            counts.push(tf);
        }
        // In how many places each 2-gram is found. A problem in one place is told by what is said
        // there and hardly anywhere else (the estate's name, its facts); wording found in many places is
        // the common language of a kind of letter, however rare the kind.
        let mut spread = vec![0u32; df.len()];
        let mut by_place: Vec<usize> = (0..texts.len()).collect();
        by_place.sort_by_key(|&i| blocks[i]);
        let mut segments: Vec<std::ops::Range<usize>> = Vec::new();
        for (k, &i) in by_place.iter().enumerate() {
            if k == 0 || blocks[by_place[k - 1]] != blocks[i] {
                segments.push(k..k + 1);
            } else if let Some(last) = segments.last_mut() {
                last.end = k + 1;
            }
        }
        let mut place_of = vec![0u32; texts.len()];
        let mut places: Vec<(u32, Vec<(u32, u32)>)> = Vec::with_capacity(segments.len());
        let mut local = vec![0u32; df.len()];
        for (p, seg) in segments.iter().enumerate() {
            let members = &by_place[seg.clone()];
            let mut seen: Vec<u32> = Vec::new();
            for &i in members {
                place_of[i] = p as u32;
                for (id, _) in &counts[i] {
                    if local[*id as usize] == 0 {
                        seen.push(*id);
                    }
                    local[*id as usize] += 1;
                }
            }
            for &id in &seen {
                spread[id as usize] += 1;
                local[id as usize] = 0;
            }
            // Rarity is judged within the place, from what it received before the window: the words
            // every letter of a place uses (its county's name, its court, its towns) are rare in the
            // city but common there, and tell no problem apart; a problem of the window is rare in
            // the months before however many letters it brings now. With less history than window
            // (the start of the records), the window counts too.
            let before: Vec<usize> = members.iter().copied().filter(|&i| !in_window[i]).collect();
            let (basis, smooth) =
                if before.len() >= members.len() - before.len() && !before.is_empty() {
                    (before, 1)
                } else {
                    (members.to_vec(), 0)
                };
            seen.clear();
            for &i in &basis {
                for (id, _) in &counts[i] {
                    if local[*id as usize] == 0 {
                        seen.push(*id);
                    }
                    local[*id as usize] += 1;
                }
            }
            seen.sort_unstable();
            let df_here: Vec<(u32, u32)> = seen
                .iter()
                .map(|&id| (id, local[id as usize] + smooth))
                .collect();
            for &id in &seen {
                local[id as usize] = 0;
            }
            places.push((basis.len() as u32 + smooth, df_here));
        }
        let mut space = Space {
            grams,
            df,
            spread,
            place_of,
            places,
            vectors: Vec::new(),
            second: Vec::new(),
        };
        space.vectors = counts
            .iter()
            .enumerate()
            .map(|(i, tf)| {
                let place = space.place_of[i];
                let mut v: Vec<(u32, f32)> = tf
                    .iter()
                    .map(|&(id, c)| (id, (1.0 + (c as f32).ln()) * space.idf_in(place, id)))
                    .collect();
                let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
                if norm > 0.0 {
                    for (_, w) in &mut v {
                        *w /= norm;
                    }
                }
                v
            })
            .collect();
        space
    }

    /// The weight of a 2-gram in a place: rare there, and found in few places.
    fn idf_in(&self, place: u32, id: u32) -> f32 {
        let (n, df_here) = &self.places[place as usize];
        let d = match df_here.binary_search_by_key(&id, |&(g, _)| g) {
            Ok(k) => df_here[k].1,
            Err(_) => 1,
        };
        let idf = ((*n).max(1) as f32 / d.max(1) as f32).ln().max(0.0) + 1.0;
        idf / self.spread[id as usize].max(1) as f32
    }

    /// The weight of a 2-gram in a place; 0 if the 2-gram is unknown.
    fn weight_in(&self, place: u32, a: char, b: char) -> f32 {
        self.grams
            .get(&bigram(a, b))
            .map_or(0.0, |&id| self.idf_in(place, id))
    }

    fn cosine(&self, a: usize, b: usize) -> f32 {
        dot(&self.vectors[a], &self.vectors[b])
    }

    /// How alike two matters are: their cosine, less when their second-level domains differ.
    fn alike(&self, a: usize, b: usize) -> f32 {
        let c = self.cosine(a, b);
        let (x, y) = (
            self.second.get(a).copied().unwrap_or(0),
            self.second.get(b).copied().unwrap_or(0),
        );
        if x != 0 && y != 0 && x != y {
            c * OTHER_SECOND_LEVEL
        } else {
            c
        }
    }

    /// Pairs of `inside` within a block whose cosine reaches `threshold`, looking only at matters that
    /// share one of their heaviest 2-grams.
    fn indexed_pairs(
        &self,
        inside: &[usize],
        blocks: &[&str],
        threshold: f32,
    ) -> Vec<(u32, u32, f32)> {
        // Keys: the heaviest 2-grams found in at least one other matter (a 2-gram of one matter links
        // nothing).
        let mut postings: FastMap<(u32, &str), Vec<u32>> = FastMap::default();
        let mut keys_of: Vec<Vec<u32>> = Vec::with_capacity(inside.len());
        for &i in inside {
            let mut keyed: Vec<(u32, f32)> = self.vectors[i]
                .iter()
                .filter(|(id, _)| self.df[*id as usize] >= 2)
                .copied()
                .collect();
            keyed.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            keyed.truncate(KEYS);
            let keys: Vec<u32> = keyed.into_iter().map(|(id, _)| id).collect();
            for &k in &keys {
                postings.entry((k, blocks[i])).or_default().push(i as u32);
            }
            keys_of.push(keys);
        }
        // Pairs sharing at least two keys are scored; one shared key (a word of the place, a common
        // phrase) is too weak a hint to pay an exact comparison for. Keys shared by very many matters
        // of one place tell nothing about one problem and are skipped.
        let mut shared = vec![0u8; self.vectors.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut edges = Vec::new();
        for (&i, keys) in inside.iter().zip(&keys_of) {
            for &k in keys {
                let Some(list) = postings.get(&(k, blocks[i])) else {
                    continue;
                };
                if list.len() > MAX_POSTING {
                    continue;
                }
                // Lists are in matter order: only later matters, so each pair is looked at once.
                let start = list.partition_point(|&j| j as usize <= i);
                for &j in &list[start..] {
                    let n = &mut shared[j as usize];
                    if *n == 0 {
                        touched.push(j);
                    }
                    *n = n.saturating_add(1);
                }
            }
            for j in touched.drain(..) {
                if shared[j as usize] >= MIN_SHARED_KEYS {
                    let c = self.alike(i, j as usize);
                    if c >= threshold {
                        edges.push((i as u32, j, c));
                    }
                }
                shared[j as usize] = 0;
            }
        }
        edges
    }

    /// Every pair of `inside` within a block: the exact answer, in quadratic time.
    fn all_pairs(&self, inside: &[usize], blocks: &[&str], threshold: f32) -> Vec<(u32, u32, f32)> {
        let mut edges = Vec::new();
        for (k, &i) in inside.iter().enumerate() {
            for &j in &inside[k + 1..] {
                if blocks[i] != blocks[j] {
                    continue;
                }
                let c = self.alike(i, j);
                if c >= threshold {
                    edges.push((i as u32, j as u32, c));
                }
            }
        }
        edges
    }
}

fn dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// Groups by density: cores (matters alike to at least two others) joined when alike, then every other
/// matter attached to the core it is most alike to. Matters alike to no core stay out.
fn group(n: usize, edges: &[(u32, u32, f32)]) -> Vec<Vec<usize>> {
    let mut degree = vec![0u32; n];
    for &(a, b, _) in edges {
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    let core = |i: u32| degree[i as usize] >= 2;
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b, _) in edges {
        if core(a) && core(b) {
            let (ra, rb) = (find(&mut parent, a as usize), find(&mut parent, b as usize));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut best: Vec<Option<(f32, usize)>> = vec![None; n];
    for &(a, b, c) in edges {
        for (border, other) in [(a, b), (b, a)] {
            if !core(border) && core(other) {
                let slot = &mut best[border as usize];
                if slot.is_none_or(|(s, _)| c > s) {
                    *slot = Some((c, other as usize));
                }
            }
        }
    }
    let mut groups: FastMap<usize, Vec<usize>> = FastMap::default();
    for (i, attached) in best.iter().enumerate() {
        let root = if core(i as u32) {
            Some(find(&mut parent, i))
        } else {
            attached.map(|(_, c)| find(&mut parent, c))
        };
        if let Some(r) = root {
            groups.entry(r).or_default().push(i);
        }
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort_by_key(|g| g[0]);
    out
}

fn describe<Id: Clone>(
    members: &[usize],
    inside: &[Matter<Id>],
    texts: &[Vec<char>],
    space: &Space,
    mid: i32,
) -> Hotspot<Id> {
    let size = members.len();
    let count = |f: fn(&Matter<Id>) -> bool| members.iter().filter(|&&i| f(&inside[i])).count();
    let share = |k: usize| k as f64 / size as f64;
    let earlier = members.iter().filter(|&&i| inside[i].day < mid).count();
    Hotspot {
        members: members.iter().map(|&i| inside[i].id.clone()).collect(),
        people: members.iter().map(|&i| u64::from(inside[i].persons)).sum(),
        region: common_region(members.iter().map(|&i| inside[i].region.as_str())),
        first_day: members.iter().map(|&i| inside[i].day).min().unwrap_or(0),
        last_day: members.iter().map(|&i| inside[i].day).max().unwrap_or(0),
        earlier,
        later: size - earlier,
        collective_share: share(count(|m| m.collective)),
        national_share: share(count(|m| m.national)),
        label: label(members, texts, space),
        cohesion: cohesion(members, space),
    }
}

fn cohesion(members: &[usize], space: &Space) -> f32 {
    let mut centroid: FastMap<u32, f32> = FastMap::default();
    for &i in members {
        for &(id, w) in &space.vectors[i] {
            *centroid.entry(id).or_default() += w;
        }
    }
    let norm = centroid.values().map(|w| w * w).sum::<f32>().sqrt();
    if norm == 0.0 {
        return 0.0;
    }
    let total: f32 = members
        .iter()
        .map(|&i| {
            space.vectors[i]
                .iter()
                .map(|(id, w)| w * centroid.get(id).copied().unwrap_or(0.0))
                .sum::<f32>()
                / norm
        })
        .sum();
    total / members.len() as f32
}

/// The longest region code all share, cut at a GB/T 2260 level (province, city, county, township,
/// village) and written as a code of that level.
fn common_region<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    let codes: Vec<&str> = codes.collect();
    let Some(first) = codes.first() else {
        return String::new();
    };
    if codes.iter().any(|c| !c.bytes().all(|b| b.is_ascii_digit())) {
        return String::new();
    }
    let mut len = first.len();
    for c in &codes[1..] {
        len = len.min(
            first
                .bytes()
                .zip(c.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    match len {
        12.. => first[..12].to_owned(),
        9..12 => first[..9].to_owned(),
        6..9 => first[..6].to_owned(),
        4..6 => format!("{}00", &first[..4]),
        2..4 => format!("{}0000", &first[..2]),
        _ => String::new(),
    }
}

/// Phrases shorter than this say little ("小区"); longer ones are cut down to their shared part anyway.
const PHRASE_MIN: usize = 3;
const PHRASE_MAX: usize = 12;
/// Members read for the label: enough to tell shared phrases from chance.
const LABEL_SAMPLE: usize = 60;
const LABEL_PHRASES: usize = 3;

/// The most telling phrases: substrings found in at least half of the members (and at least two), scored
/// by how many members have them times the weight (IDF) of their 2-grams, so that the estate's name
/// and its facts beat the words every letter uses. A phrase inside a better one is left out. A phrase
/// in at least two different letters is not a petitioner's name unless two of them share it, and the
/// API runs the label through its redaction of names all the same.
fn label(members: &[usize], texts: &[Vec<char>], space: &Space) -> Vec<String> {
    let step = members.len().div_ceil(LABEL_SAMPLE).max(1);
    let sample: Vec<usize> = members.iter().step_by(step).copied().collect();
    let needed = sample.len().div_ceil(2).max(2);
    let mut found: HashMap<&[char], (usize, usize)> = HashMap::new();
    for (k, &i) in sample.iter().enumerate() {
        let chars = &texts[i];
        for len in PHRASE_MIN..=PHRASE_MAX {
            for w in chars.windows(len) {
                let e = found.entry(w).or_insert((0, usize::MAX));
                if e.1 != k {
                    *e = (e.0 + 1, k);
                }
            }
        }
    }
    // Members are compared only within one place, so a hot spot lies in one.
    let place = space.place_of[members[0]];
    let weight = |p: &[char]| -> f32 {
        p.windows(2)
            .map(|w| space.weight_in(place, w[0], w[1]))
            .sum()
    };
    let mut scored: Vec<(f32, &[char])> = found
        .into_iter()
        .filter(|(_, (n, _))| *n >= needed)
        .map(|(p, (n, _))| (n as f32 * weight(p), p))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut chosen: Vec<String> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    for (_, p) in scored {
        let s: String = p.iter().collect();
        if chosen.iter().any(|c| overlaps(c, &s)) || used.contains(&s) {
            continue;
        }
        used.insert(s.clone());
        chosen.push(s);
        if chosen.len() == LABEL_PHRASES {
            break;
        }
    }
    chosen
}

/// Two phrases say the same thing when one holds the other or they share a 3-character stretch.
fn overlaps(a: &str, b: &str) -> bool {
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let a: Vec<char> = a.chars().collect();
    let b: String = b.to_owned();
    a.windows(3)
        .any(|w| b.contains(&w.iter().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_region_stops_at_a_level() {
        let codes = ["330106001001", "330106001002"];
        assert_eq!(common_region(codes.into_iter()), "330106001");
        let codes = ["330106001001", "330106002002"];
        assert_eq!(common_region(codes.into_iter()), "330106");
        let codes = ["330106001001", "330108002002"];
        assert_eq!(common_region(codes.into_iter()), "330100");
        let codes = ["330106001001", ""];
        assert_eq!(common_region(codes.into_iter()), "");
    }

    #[test]
    fn empty_and_tiny_inputs_get_an_answer() {
        let none: Vec<Matter<u32>> = Vec::new();
        assert!(hotspots(&none, &Params::window(0, 30)).is_empty());
        let odd: Vec<Matter<u32>> = ["", "😀", "\u{0}", "a"]
            .iter()
            .enumerate()
            .map(|(i, t)| Matter {
                id: i as u32,
                text: (*t).to_owned(),
                day: 1,
                region: "é".into(),
                domain: String::new(),
                collective: false,
                national: false,
                persons: 1,
            })
            .collect();
        assert!(hotspots(&odd, &Params::window(0, 30)).is_empty());
    }
}

//! Near-duplicate lookup with a million contacts indexed: lookup time, memory per text, and recall and
//! precision on copies and hard negatives, beside an exact scan of every text measured in the same run.
//!
//!     cargo run --release -p xinfang-text --example dedup_scale -- ../shared/data/teddycup2020c [TEXTS] [QUERIES]
//!
//! A million distinct letters do not exist in the shared data (about nine thousand do), so the letters
//! are assembled from its real sentences: each takes 4–9 sentences, half from one message (its
//! "problem") and the rest from others, so letters on one problem share sentences as real ones share
//! facts, and the words are real citizens' words. Half the queries are copies of an indexed letter as
//! another office receives it (greeting and signature added, one sentence edited, two swapped), which
//! must find it; half are new letters on the same problem as an indexed one (the hard negatives), which
//! must find no copy.

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xinfang_text::dedup::{DedupIndex, Shingles};

mod shared;
use shared::{messages, sentences};

const THRESHOLD: f64 = 0.8;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// A letter on problem `problem`: half its sentences from that message (in its order), the rest from
/// anywhere, so two letters on one problem share some sentences but are not copies.
fn letter(
    problems: &[Vec<String>],
    all: &[&String],
    problem: usize,
    rng: &mut ChaCha8Rng,
) -> String {
    let own = &problems[problem];
    let wanted = rng.random_range(4..=9usize);
    let mut picked: Vec<usize> = (0..own.len()).collect();
    picked.shuffle(rng);
    picked.truncate((wanted / 2).clamp(1, own.len()));
    picked.sort_unstable();
    let mut parts: Vec<String> = picked.iter().map(|&i| own[i].clone()).collect();
    while parts.len() < wanted {
        let at = rng.random_range(0..=parts.len());
        parts.insert(at, (*all.choose(rng).expect("sentences")).clone());
    }
    parts.concat()
}

fn office_copy(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut parts = sentences(text);
    if parts.len() > 2 {
        let i = rng.random_range(0..parts.len() - 1);
        parts.swap(i, i + 1);
    }
    let at = rng.random_range(0..parts.len());
    let mut chars: Vec<char> = parts[at].chars().collect();
    if chars.len() > 4 {
        let i = rng.random_range(0..chars.len());
        chars[i] = '某';
    }
    parts[at] = chars.into_iter().collect();
    format!("市信访局领导您好！\n{}\n此致敬礼！", parts.concat())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "../shared/data/teddycup2020c".into());
    let texts: usize = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("a count"));
    let queries: usize = args.next().map_or(2_000, |n| n.parse().expect("a count"));
    let problems: Vec<Vec<String>> = messages(&dir)
        .iter()
        .map(|m| sentences(m))
        .filter(|s| s.len() >= 2)
        .collect();
    let all: Vec<&String> = problems.iter().flatten().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);

    let started = Instant::now();
    let letters: Vec<(usize, String)> = (0..texts)
        .map(|_| {
            let p = rng.random_range(0..problems.len());
            (p, letter(&problems, &all, p, &mut rng))
        })
        .collect();
    let generated = started.elapsed();

    let started = Instant::now();
    let mut index = DedupIndex::new();
    for (i, (_, text)) in letters.iter().enumerate() {
        index.insert(i as u32, text);
    }
    let indexing = started.elapsed();
    let sample = letters.len().min(10_000);
    let shingles: usize = letters[..sample]
        .iter()
        .map(|(_, t)| Shingles::of(t).len())
        .sum();

    let (mut found, mut copies, mut reported, mut right, mut false_alarms) = (0, 0, 0, 0, 0);
    let mut timings = Vec::with_capacity(queries);
    // On a shared machine a lookup may wait for a core: its own CPU time is reported beside the wall time.
    let mut cpu_timings = Vec::with_capacity(queries);
    let mut asked = Vec::with_capacity(queries);
    for q in 0..queries {
        let at = rng.random_range(0..letters.len());
        let (problem, original) = &letters[at];
        let (text, expect) = if q % 2 == 0 {
            (office_copy(original, &mut rng), Some(at as u32))
        } else {
            (letter(&problems, &all, *problem, &mut rng), None)
        };
        let start = Instant::now();
        let cpu = ThreadTime::now();
        let matches = index.near_duplicates(&text, THRESHOLD);
        cpu_timings.push(cpu.elapsed());
        timings.push(start.elapsed());
        reported += matches.len();
        match expect {
            Some(id) => {
                copies += 1;
                found += usize::from(matches.iter().any(|m| m.id == id));
                right += matches.iter().filter(|m| m.id == id).count();
            }
            None => false_alarms += usize::from(!matches.is_empty()),
        }
        asked.push(text);
    }
    timings.sort();
    cpu_timings.sort();

    // The baseline: the same exact check against every indexed text, for a few of the same queries.
    let every: Vec<Shingles> = letters.iter().map(|(_, t)| Shingles::of(t)).collect();
    let mut scans: Vec<Duration> = asked
        .iter()
        .take(9)
        .map(|text| {
            let start = Instant::now();
            let query = Shingles::of(text);
            let hits = every
                .iter()
                .filter(|s| query.similarity(s).containment >= THRESHOLD)
                .count();
            std::hint::black_box(hits);
            start.elapsed()
        })
        .collect();
    scans.sort();
    let scan = percentile(&scans, 0.5);
    let p50 = percentile(&timings, 0.5);

    println!(
        "texts: {texts} letters on {} problems, from {} real sentences (assembled in {generated:.1?}), \
         indexed in {indexing:.1?}",
        problems.len(),
        all.len()
    );
    println!(
        "memory: {:.0} bytes per text, of which its 3-grams {:.0}",
        index.memory_bytes() as f64 / texts as f64,
        4.0 * shingles as f64 / sample as f64
    );
    println!(
        "threshold {THRESHOLD}: recall {:.4} ({found}/{copies}), precision {:.4} ({right}/{reported}); \
         new letters on an indexed problem with any match: {false_alarms}/{}",
        found as f64 / copies.max(1) as f64,
        right as f64 / reported.max(1) as f64,
        queries - copies
    );
    println!(
        "lookup: p50 {p50:.2?}, p99 {:.2?}, max {:.2?}; exact scan of every text (baseline, same run): \
         median {scan:.2?}, {:.0}x the lookup's p50",
        percentile(&timings, 0.99),
        percentile(&timings, 1.0),
        scan.as_secs_f64() / p50.as_secs_f64()
    );
    println!(
        "lookup CPU time of its own thread: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        percentile(&cpu_timings, 0.5),
        percentile(&cpu_timings, 0.99),
        percentile(&cpu_timings, 1.0)
    );
}

//! Recall, precision and lookup time of near-duplicate detection on real citizen messages (the shared data
//! set, never copied into the repository) and copies made from them.
//!
//!     cargo run --release -p xinfang-text --example dedup_eval -- ../shared/data/teddycup2020c [THRESHOLD] [DUMP]
//!
//! With DUMP, the labelled set is also written there as JSON Lines (`{"index": id, "text": …}` for indexed
//! texts, `{"query": …, "expect": id or null}` for queries), so that another implementation can be measured
//! on exactly the same texts (scripts/bench/dedup_vs_datasketch).
//!
//! The labelled set: distinct messages (by normalized text) are split in two. The first half is indexed.
//! For each indexed message, five copies are made as offices receive them: the same letter (sent to
//! several offices), an edited copy (a few characters changed in every sentence), its sentences reordered,
//! a greeting and a signature added, and one more paragraph appended. Each copy must find its original.
//! The second half are other problems of the same kinds and places (the hard negatives): each must find
//! nothing. Precision counts every reported match; a reported match of a negative is wrong.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xinfang_text::dedup::DedupIndex;

mod shared;
use shared::{messages, sentences};

/// A JSON string literal.
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn copies(text: &str, filler: &str, rng: &mut ChaCha8Rng) -> Vec<(&'static str, String)> {
    let edited: String = sentences(text)
        .iter()
        .map(|s| {
            let mut chars: Vec<char> = s.chars().collect();
            if chars.len() > 8 {
                let at = rng.random_range(0..chars.len());
                chars[at] = '某';
            }
            chars.into_iter().collect::<String>()
        })
        .collect();
    let mut reordered = sentences(text);
    let turn = reordered.len() / 2;
    reordered.rotate_left(turn);
    vec![
        ("to another office", text.to_owned()),
        ("edited", edited),
        ("reordered", reordered.concat()),
        (
            "greeting and signature",
            format!("尊敬的市长您好！\n{text}\n此致敬礼！一位市民 2019年12月1日"),
        ),
        (
            "a paragraph added",
            format!("{text}\n{}", filler.chars().take(60).collect::<String>()),
        ),
    ]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "../shared/data/teddycup2020c".into());
    let threshold: f64 = args.next().map_or(0.8, |t| t.parse().expect("a number"));
    let mut dump = args.next().map(|path| {
        std::io::BufWriter::new(std::fs::File::create(path).expect("a writable dump file"))
    });
    let mut write = |line: String| {
        if let Some(out) = dump.as_mut() {
            use std::io::Write;
            writeln!(out, "{line}").expect("the dump is written");
        }
    };
    let texts = messages(&dir);
    let (originals, others) = texts.split_at(texts.len() / 2);
    let mut index = DedupIndex::new();
    let started = Instant::now();
    for (i, t) in originals.iter().enumerate() {
        index.insert(i, t);
    }
    for (i, t) in originals.iter().enumerate() {
        write(format!("{{\"index\":{i},\"text\":{}}}", json(t)));
    }
    let indexing = started.elapsed();

    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (mut found, mut positives, mut reported, mut right) = (0usize, 0usize, 0usize, 0usize);
    let mut missed: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut timings = Vec::new();
    for (i, t) in originals.iter().enumerate() {
        let filler = &others[i % others.len()];
        for (kind, copy) in copies(t, filler, &mut rng) {
            write(format!("{{\"query\":{},\"expect\":{i}}}", json(&copy)));
            let start = Instant::now();
            let matches = index.near_duplicates(&copy, threshold);
            timings.push(start.elapsed());
            positives += 1;
            reported += matches.len();
            right += matches.iter().filter(|m| m.id == i).count();
            if matches.iter().any(|m| m.id == i) {
                found += 1;
            } else {
                *missed.entry(kind).or_default() += 1;
            }
        }
    }
    let mut false_alarms = 0usize;
    for t in others {
        write(format!("{{\"query\":{},\"expect\":null}}", json(t)));
        let start = Instant::now();
        let matches = index.near_duplicates(t, threshold);
        timings.push(start.elapsed());
        reported += matches.len();
        false_alarms += usize::from(!matches.is_empty());
    }
    timings.sort();
    let pct = |p: f64| timings[((timings.len() - 1) as f64 * p) as usize];
    println!(
        "texts: {} indexed, {} other problems (in {:.2?})",
        originals.len(),
        others.len(),
        indexing
    );
    println!(
        "threshold {threshold}: recall {:.4} ({found}/{positives}), precision {:.4} ({right}/{reported})",
        found as f64 / positives as f64,
        right as f64 / reported.max(1) as f64
    );
    println!("missed by kind: {missed:?}; other problems with any match: {false_alarms}");
    println!(
        "lookup: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

//! Hot spots found against hot spots planted, on the demo's data; and a look at real messages.
//!
//!     cargo run --release -p xinfang-text --example hotspots_eval -- demo [MATTERS] [SEEDS] [WINDOW_DAYS]
//!     cargo run --release -p xinfang-text --example hotspots_eval -- teddycup ../shared/data/teddycup2020c
//!
//! `demo`: the demo's year of matters (as `xinfang demo --matters MATTERS --seed SEED` writes them, made
//! here in memory by the same simulation; MATTERS 4,000 and SEEDS 1,2,3,4 by default), clustered in
//! consecutive windows of WINDOW_DAYS (default 30, as the API) with the default parameters, each window
//! with the 180 days before it as history (as the API reads them). The truth is the demo's own record of which matters it
//! planted together ([`xinfang_demo::Simulation::planted`]), which nothing in the product data shows.
//!
//! - A reported hot spot is *mostly* a plant when more than half of its matters are of that plant.
//! - A plant is *found* when one reported hot spot that is mostly that plant holds at least half of the
//!   plant's matters (within one window: the plant's matters received in it, counting plants with at
//!   least the smallest reported size there, and at least 3).
//! - A reported hot spot is *spurious* when it is mostly no plant.
//!
//! The same input is also clustered by comparing every pair (in the same blocks), the exact baseline of
//! the indexed candidate search, and both are timed (median of the rounds).
//!
//! `teddycup`: the board messages of `messages_hotspot.csv`, in windows of 30 days, places unknown; prints
//! the largest hot spots' figures (size, dates, cohesion, label length) without their texts, which hold
//! names. Pass `--labels` to see the labels on your own screen (never paste them into the repository).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Datelike, Days, NaiveDate};
use xinfang_domain::workflow::Filing;
use xinfang_domain::{Change, Command};
use xinfang_text::hotspots::{Hotspot, Matter, Pairing, Params, hotspots_with};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => {
            let matters = args.get(1).map_or(4_000, |s| s.parse().expect("MATTERS"));
            let seeds: Vec<u64> = args.get(2).map_or(vec![1, 2, 3, 4], |s| {
                s.split(',').map(|x| x.parse().expect("SEEDS")).collect()
            });
            let window = args.get(3).map_or(30, |s| s.parse().expect("WINDOW_DAYS"));
            let mut total = [Score::default(); 2];
            let mut times = [0.0; 2];
            for seed in seeds {
                let (scores, took) = demo(matters, seed, window);
                for k in 0..2 {
                    total[k].add(scores[k]);
                    times[k] += took[k];
                }
            }
            println!("all seeds:");
            report(&total, &times);
        }
        Some("teddycup") => {
            let dir = args.get(1).expect("the data folder");
            teddycup(dir, args.iter().any(|a| a == "--labels"));
        }
        _ => eprintln!("usage: hotspots_eval demo [MATTERS] [SEED] [WINDOW_DAYS] | teddycup DIR"),
    }
}

fn day_number(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

/// The demo's matters as hot spots read them, and the planted groups.
fn demo_matters(
    matters: u32,
    seed: u64,
    until: NaiveDate,
) -> (Vec<Matter<String>>, Vec<Vec<String>>) {
    let mut sim = xinfang_demo::Simulation::new(seed, matters, until);
    let mut out: Vec<Matter<String>> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    loop {
        let batch = sim.next_batch(50_000);
        if batch.is_empty() {
            break;
        }
        for step in batch {
            let Change::Matter(Command::Register { filing, contact }) = step.change else {
                continue;
            };
            let text = format!(
                "{}\n{}\n{}",
                contact.summary, contact.full_text, contact.demands
            );
            let collective = contact.channel == xinfang_domain::catalog::Channel::Visit
                && contact.person_count >= 5;
            match filing {
                Filing::NewMatter { matter } => {
                    at.insert(matter.to_string(), out.len());
                    out.push(Matter {
                        id: matter.to_string(),
                        text,
                        day: day_number(xinfang_domain::workflow::china_date(contact.received_at)),
                        region: contact.location.region.to_string(),
                        domain: contact.domain.to_string(),
                        collective,
                        national: contact.flags.national,
                        persons: contact.person_count,
                    });
                }
                Filing::Existing { matter, .. } => {
                    if let Some(&i) = at.get(matter.as_str()) {
                        let m = &mut out[i];
                        m.text.push('\n');
                        m.text.push_str(&text);
                        m.collective |= collective;
                        m.national |= contact.flags.national;
                        m.persons += contact.person_count;
                    }
                }
            }
        }
    }
    let planted = sim
        .planted()
        .into_iter()
        .map(|g| g.into_iter().map(|m| m.to_string()).collect())
        .collect();
    (out, planted)
}

#[derive(Default, Debug, Clone, Copy)]
struct Score {
    plants: usize,
    found: usize,
    reported: usize,
    spurious: usize,
    spurious_background: usize,
}

impl Score {
    fn add(&mut self, s: Score) {
        self.plants += s.plants;
        self.found += s.found;
        self.reported += s.reported;
        self.spurious += s.spurious;
        self.spurious_background += s.spurious_background;
    }
}

fn report(total: &[Score; 2], times: &[f64; 2]) {
    for (k, name) in ["indexed (product)", "all pairs (baseline)"]
        .iter()
        .enumerate()
    {
        if times[k] == 0.0 {
            continue;
        }
        let t = total[k];
        println!(
            "  {name}: plants {} found {} ({:.1}%); reported {} spurious {} ({:.1}%; {} wholly background); time {:.3} s",
            t.plants,
            t.found,
            100.0 * t.found as f64 / t.plants.max(1) as f64,
            t.reported,
            t.spurious,
            100.0 * t.spurious as f64 / t.reported.max(1) as f64,
            t.spurious_background,
            times[k],
        );
    }
    if times[1] > 0.0 {
        println!("  all pairs / indexed time: {:.1}x", times[1] / times[0]);
    }
}

/// Found and spurious, as the module documentation defines them.
fn score(
    reported: &[Hotspot<String>],
    plants: &[Vec<String>],
    window: &[String],
    min_size: usize,
) -> Score {
    let in_window: std::collections::HashSet<&str> = window.iter().map(String::as_str).collect();
    let mut plant_of: HashMap<&str, usize> = HashMap::new();
    let mut plant_size = vec![0usize; plants.len()];
    for (p, members) in plants.iter().enumerate() {
        for m in members.iter().filter(|m| in_window.contains(m.as_str())) {
            plant_of.insert(m, p);
            plant_size[p] += 1;
        }
    }
    let mut s = Score::default();
    let mut found = vec![false; plants.len()];
    for r in reported {
        s.reported += 1;
        let mut count: HashMap<usize, usize> = HashMap::new();
        for m in &r.members {
            if let Some(&p) = plant_of.get(m.as_str()) {
                *count.entry(p).or_default() += 1;
            }
        }
        match count.into_iter().max_by_key(|(p, n)| (*n, usize::MAX - p)) {
            Some((p, n)) if 2 * n > r.size() => {
                if 2 * n >= plant_size[p] {
                    found[p] = true;
                }
            }
            Some(_) => s.spurious += 1,
            None => {
                s.spurious += 1;
                s.spurious_background += 1;
            }
        }
    }
    for (p, n) in plant_size.iter().enumerate() {
        if *n >= min_size.max(3) {
            s.plants += 1;
            if found[p] {
                s.found += 1;
            }
        }
    }
    s
}

/// Days before a window whose matters inform the statistics (as the API reads them).
const HISTORY_DAYS: i32 = 180;

/// The window's matters and those of the days before it (matters are in the order received).
/// The default parameters, or those of `HOTSPOTS_THRESHOLD` and `HOTSPOTS_MIN_SIZE` (for tuning).
fn params(from: i32, to: i32) -> Params {
    let mut p = Params::window(from, to);
    if let Some(t) = std::env::var("HOTSPOTS_THRESHOLD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        p.threshold = t;
    }
    if let Some(m) = std::env::var("HOTSPOTS_MIN_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        p.min_size = m;
    }
    p
}

fn history(all: &[Matter<String>], from: i32, to: i32) -> &[Matter<String>] {
    let lo = all.partition_point(|m| m.day < from - HISTORY_DAYS);
    let hi = all.partition_point(|m| m.day <= to);
    &all[lo..hi]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Scores and clustering times (indexed, all pairs) of one demo.
fn demo(matters: u32, seed: u64, window_days: i32) -> ([Score; 2], [f64; 2]) {
    let until = NaiveDate::from_ymd_opt(2026, 10, 31).expect("a date");
    let started = Instant::now();
    let (all, plants) = demo_matters(matters, seed, until);
    println!(
        "demo: {} matters (seed {seed}), {} planted clusters of {} matters, made in {:.1} s",
        all.len(),
        plants.len(),
        plants.iter().map(Vec::len).sum::<usize>(),
        started.elapsed().as_secs_f64()
    );
    let last = day_number(until);
    let first = day_number(until - Days::new(364));
    let mut total = [Score::default(); 2];
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut identical = true;
    let mut from = first;
    // The quadratic baseline is run while it stays affordable.
    let baseline = all.len() <= 40_000 && std::env::var_os("HOTSPOTS_NO_BASELINE").is_none();
    while from <= last {
        let to = (from + window_days - 1).min(last);
        let params = params(from, to);
        let input = history(&all, from, to);
        let window: Vec<String> = all
            .iter()
            .filter(|m| m.day >= from && m.day <= to)
            .map(|m| m.id.clone())
            .collect();
        let mut results: Vec<Vec<Hotspot<String>>> = Vec::new();
        for (k, pairing) in [Pairing::Indexed, Pairing::AllPairs]
            .into_iter()
            .enumerate()
        {
            if pairing == Pairing::AllPairs && !baseline {
                continue;
            }
            let rounds = if pairing == Pairing::Indexed && all.len() <= 10_000 {
                5
            } else {
                1
            };
            let mut runs = Vec::new();
            let mut found = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                found = hotspots_with(input, &params, pairing);
                runs.push(t.elapsed().as_secs_f64());
            }
            times[k].push(median(runs));
            let s = score(&found, &plants, &window, params.min_size);
            total[k].add(s);
            results.push(found);
        }
        if results.len() == 2 && results[0] != results[1] {
            identical = false;
        }
        from = to + 1;
    }
    let took = [times[0].iter().sum::<f64>(), times[1].iter().sum::<f64>()];
    report(&total, &took);
    if baseline {
        println!("  same hot spots as the baseline: {identical}");
    }
    if std::env::var_os("HOTSPOTS_SHOW").is_some() {
        show(&all, &plants, first, last, window_days);
    }
    (total, took)
}

/// For looking at what went wrong (demo texts are made up: no personal data).
fn show(all: &[Matter<String>], plants: &[Vec<String>], first: i32, last: i32, window_days: i32) {
    let by_id: HashMap<&str, &Matter<String>> = all.iter().map(|m| (m.id.as_str(), m)).collect();
    let plant_of: HashMap<&str, usize> = plants
        .iter()
        .enumerate()
        .flat_map(|(p, ms)| ms.iter().map(move |m| (m.as_str(), p)))
        .collect();
    let mut from = first;
    while from <= last {
        let to = (from + window_days - 1).min(last);
        for h in hotspots_with(history(all, from, to), &params(from, to), Pairing::Indexed) {
            let tags: Vec<String> = h
                .members
                .iter()
                .map(|m| {
                    plant_of
                        .get(m.as_str())
                        .map_or("-".into(), |p| p.to_string())
                })
                .collect();
            println!(
                "[{}] size {} cohesion {:.2} region {} plants {:?} label {:?}",
                from,
                h.size(),
                h.cohesion,
                h.region,
                tags,
                h.label
            );
            if tags.iter().all(|t| t == "-") {
                for m in h.members.iter().take(3) {
                    let t: String = by_id[m.as_str()].text.chars().take(80).collect();
                    println!("    {t}");
                }
            }
        }
        from = to + 1;
    }
}

fn teddycup(dir: &str, labels: bool) {
    let path = format!("{dir}/messages_hotspot.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let headers = reader.headers().expect("a header row").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("{path} has no column {name}"))
    };
    let (id, title, time, detail) = (
        col("留言编号"),
        col("留言主题"),
        col("留言时间"),
        col("留言详情"),
    );
    let mut all = Vec::new();
    for row in reader.records().flatten() {
        let date = row.get(time).unwrap_or("").trim();
        let Some(day) = date
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(&d.replace('/', "-"), "%Y-%m-%d").ok())
            .or_else(|| {
                date.split_whitespace()
                    .next()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y/%m/%d").ok())
            })
        else {
            continue;
        };
        all.push(Matter {
            id: row.get(id).unwrap_or("").trim().to_owned(),
            text: format!(
                "{}\n{}",
                row.get(title).unwrap_or("").trim(),
                row.get(detail).unwrap_or("").trim()
            ),
            day: day_number(day),
            region: String::new(),
            domain: String::new(),
            collective: false,
            national: false,
            persons: 1,
        });
    }
    let first = all.iter().map(|m| m.day).min().unwrap_or(0);
    let last = all.iter().map(|m| m.day).max().unwrap_or(0);
    println!(
        "teddycup: {} messages over {} days",
        all.len(),
        last - first + 1
    );
    // Whole period at once, then 30-day windows.
    for window in [last - first + 1, 30] {
        let mut from = first;
        let mut spots = Vec::new();
        let t = Instant::now();
        while from <= last {
            let to = (from + window - 1).min(last);
            spots.extend(hotspots_with(&all, &params(from, to), Pairing::Indexed));

            from = to + 1;
        }
        let took = t.elapsed().as_secs_f64();
        spots.sort_by_key(|h| std::cmp::Reverse(h.size()));
        let clustered: usize = spots.iter().map(Hotspot::size).sum();
        println!(
            "window {window} days: {} hot spots holding {clustered} messages, in {took:.3} s; the largest:",
            spots.len()
        );
        for h in spots.iter().take(10) {
            let from = NaiveDate::from_num_days_from_ce_opt(h.first_day).expect("a day");
            let to = NaiveDate::from_num_days_from_ce_opt(h.last_day).expect("a day");
            print!(
                "  size {:3}  {from} … {to}  later/earlier {}/{}  cohesion {:.2}",
                h.size(),
                h.later,
                h.earlier,
                h.cohesion
            );
            if labels {
                print!("  {:?}", h.label);
            }
            println!();
        }
    }
}

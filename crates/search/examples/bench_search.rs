//! Search over many matters: indexing time, query latency and recall of Chinese words.
//!
//! Matter documents are made directly from the demo's text generator (a made-up city, topics and
//! letters), not through the ledger: building a million matters through the full workflow takes about
//! 17 minutes and is not what this measures. Writes the texts as JSON Lines for the FTS5 side
//! (`scripts/bench/search_vs_fts5`) and the sampled queries with this index's results as JSON.
//!
//! cargo run --release -p xinfang-search --example bench_search -- DOCS OUT_DIR

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xinfang_demo::{city, people, texts};
use xinfang_domain::access::IdentityView;
use xinfang_domain::catalog::{Channel, DomainPath, Purpose};
use xinfang_domain::ids::{ContactId, MatterId, RegionCode, UnitId, UserId};
use xinfang_domain::petition::{
    Contact, ContactDraft, ContactRelation, DeclaredFlags, Flags, Location, Petitioner,
};
use xinfang_search::{Dictionary, SearchIndex, SearchQuery, SortOrder, Viewer, matter_text};
use xinfang_store::search_feed::MatterDoc;
use xinfang_store::{Store, StoreOptions};

const BUREAU: &str = "city-xfj";

fn doc_of(i: usize, rng: &mut ChaCha8Rng, city: &city::City, topics: &[texts::Topic]) -> MatterDoc {
    let topic = topics.choose(rng).expect("topics");
    let signer = people::random_name(rng);
    let t = texts::petition(rng, city, topic, &signer);
    let day =
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(rng.random_range(0..365));
    let at = Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap());
    let id = format!("M{i:07}");
    let unit = UnitId::parse(BUREAU).unwrap();
    let draft = ContactDraft {
        id: ContactId::parse(&format!("C{i:07}")).unwrap(),
        channel: Channel::Letter,
        received_at: at,
        petitioners: vec![Petitioner {
            name: signer,
            id_number: None,
            phone: None,
            address: String::new(),
        }],
        person_count: 1,
        location: Location {
            region: RegionCode::parse(&city.districts[topic.district].code).unwrap(),
            address: String::new(),
        },
        target: None,
        purpose: Purpose::Demand,
        domain: DomainPath::new(topic.domain, Some(topic.subdomain)),
        summary: t.summary.clone(),
        full_text: t.full_text,
        demands: t.demands,
        attachments: Vec::new(),
        flags: DeclaredFlags::default(),
    };
    MatterDoc {
        id: id.clone(),
        status: "handling".into(),
        purpose: Purpose::Demand,
        domain: format!("{}/{}", topic.domain, topic.subdomain),
        region: city.districts[topic.district].code.clone(),
        received_on: day.to_string(),
        flags: Vec::new(),
        target_unit: None,
        holder_paths: vec![format!("{BUREAU}\u{1f}")],
        holders: vec![unit.clone()],
        summary: t.summary,
        contacts: vec![Contact {
            matter: MatterId::parse(&id).unwrap(),
            relation: ContactRelation::First,
            draft,
            registered_by: unit,
            clerk: UserId::parse("clerk").unwrap(),
            registered_at: at,
            flags: Flags::default(),
        }],
        changed_seq: i as i64 + 1,
    }
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let out = std::path::PathBuf::from(args.get(2).cloned().unwrap_or("/tmp/xt-search".into()));
    std::fs::create_dir_all(&out).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let city = city::generate_city(&mut rng);
    let topics: Vec<texts::Topic> = (0..20_000)
        .map(|_| {
            let domain = *texts::DOMAINS.choose(&mut rng).unwrap();
            texts::topic(&mut rng, &city, domain)
        })
        .collect();

    let started = Instant::now();
    let docs: Vec<MatterDoc> = (0..n)
        .map(|i| doc_of(i, &mut rng, &city, &topics))
        .collect();
    let bodies: Vec<String> = docs
        .iter()
        .map(|d| matter_text(d, IdentityView::Full))
        .collect();
    let chars: usize = bodies.iter().map(|b| b.chars().count()).sum();
    eprintln!(
        "generated {n} matters ({:.0} characters each on average) in {:.1} s",
        chars as f64 / n as f64,
        started.elapsed().as_secs_f64()
    );
    {
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(out.join("texts.jsonl")).unwrap());
        for (d, b) in docs.iter().zip(&bodies) {
            serde_json::to_writer(&mut f, &serde_json::json!({"id": d.id, "text": b})).unwrap();
            f.write_all(b"\n").unwrap();
        }
    }

    // The index, with the city's unit and district names as the user dictionary.
    let store = Store::open_dir(&out.join("db"), &StoreOptions::default())
        .await
        .unwrap();
    let mut dict = Dictionary::default();
    for u in city::units(&city) {
        dict.add(&u.name);
    }
    for d in &city.districts {
        dict.add(&d.name);
    }
    let index_dir = out.join("search");
    // XT_BENCH_REUSE=1 queries an index a previous run of the same size left in OUT_DIR (tuning queries
    // without indexing again; the build time reported is then 0). An index of another schema is rebuilt
    // empty by `open`, so a reused index is checked to hold every matter.
    let reuse = std::env::var_os("XT_BENCH_REUSE").is_some() && index_dir.join("index").exists();
    if !reuse {
        let _ = std::fs::remove_dir_all(&index_dir);
    }
    let (index, _) = SearchIndex::open(&index_dir, &store, &dict).await.unwrap();
    let started = Instant::now();
    if reuse {
        assert_eq!(
            index.indexed_seq(),
            n as i64,
            "the index in {} is not one of {n} matters of this schema",
            index_dir.display()
        );
        drop(docs);
    } else {
        let mut rest = docs;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(20_000));
            index.index_docs(rest, -1).await.unwrap();
            rest = tail;
        }
        index.index_docs(Vec::new(), n as i64).await.unwrap();
        // Queries are timed on the index as it stays, not while its last merges run.
        index.settle().await.unwrap();
    }
    let index_secs = started.elapsed().as_secs_f64();
    let size: u64 = std::fs::read_dir(index_dir.join("index"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    eprintln!("indexed in {index_secs:.1} s, {:.2} GB", size as f64 / 1e9);

    // Query words drawn from the texts: jieba's words of random letters.
    let segmenter = xinfang_search::ZhTokenizer::new(std::sync::Arc::new(jieba_rs::Jieba::new()));
    let mut two = BTreeSet::new();
    let mut longer = BTreeSet::new();
    let mut pairs = Vec::new();
    while two.len() < 200 || longer.len() < 200 || pairs.len() < 200 {
        let body = bodies.choose(&mut rng).unwrap();
        let (words, _) = segmenter.query_terms(body);
        let words: Vec<String> = words
            .into_iter()
            .map(|(_, w)| w)
            .filter(|w| w.chars().count() >= 2 && w.chars().all(is_han))
            .collect();
        if words.len() < 2 {
            continue;
        }
        let a = words.choose(&mut rng).unwrap().clone();
        let b = words.choose(&mut rng).unwrap().clone();
        if a != b && pairs.len() < 200 {
            pairs.push(format!("{a} {b}"));
        }
        if a.chars().count() == 2 {
            if two.len() < 200 {
                two.insert(a);
            }
        } else if longer.len() < 200 {
            longer.insert(a);
        }
    }
    let viewer = Viewer {
        scope: Some(format!("{BUREAU}\u{1f}")),
        chain: vec![BUREAU.into()],
        unit: BUREAU.into(),
        bureau: true,
        identity_roles: true,
    };
    let one_word: Vec<String> = two.iter().chain(longer.iter()).cloned().collect();
    let mut latency = serde_json::Map::new();
    for (name, queries) in [("one word", &one_word), ("two words", &pairs)] {
        for order in [SortOrder::Relevance, SortOrder::Received] {
            let mut times = Vec::new();
            let mut slowest = Vec::new();
            for round in 0..2 {
                for text in queries.iter() {
                    let q = SearchQuery {
                        text: text.clone(),
                        order,
                        limit: 20,
                        ..SearchQuery::default()
                    };
                    let t = Instant::now();
                    let found = index.search(&q, &viewer).unwrap();
                    std::hint::black_box(found.total);
                    if round == 1 {
                        let ms = t.elapsed().as_secs_f64() * 1e3;
                        times.push(ms);
                        slowest.push((ms, text.as_str(), found.total, found.total_is_exact));
                    }
                }
            }
            times.sort_by(f64::total_cmp);
            slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (ms, text, total, exact) in slowest.iter().take(4) {
                let more = if *exact { "" } else { "+" };
                eprintln!("  slow: {text} ({total}{more} matters) {ms:.1} ms");
            }
            let label = format!("{name}, {order:?}");
            eprintln!(
                "{label}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} queries)",
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                times.last().unwrap(),
                times.len()
            );
            latency.insert(
                label,
                serde_json::json!({
                    "p50_ms": percentile(&times, 0.5),
                    "p99_ms": percentile(&times, 0.99),
                    "max_ms": times.last().unwrap(),
                    "queries": times.len(),
                }),
            );
        }
    }

    // Recall: for each word, the relevant matters are those whose text holds it as a substring.
    let sample: Vec<String> = two
        .iter()
        .take(50)
        .chain(longer.iter().take(50))
        .cloned()
        .collect();
    let mut recall_rows = Vec::new();
    let (mut rel2, mut hit2, mut rel3, mut hit3) = (0usize, 0usize, 0usize, 0usize);
    for word in &sample {
        let relevant: BTreeSet<String> = std::thread::scope(|s| {
            let half = bodies.len() / 2;
            let parts = [(0, half), (half, bodies.len())].map(|(a, b)| {
                let bodies = &bodies;
                s.spawn(move || {
                    (a..b)
                        .filter(|&i| bodies[i].contains(word.as_str()))
                        .map(|i| format!("M{i:07}"))
                        .collect::<Vec<_>>()
                })
            });
            parts.into_iter().flat_map(|p| p.join().unwrap()).collect()
        });
        let found: BTreeSet<String> = index.all_matching(word).unwrap().into_iter().collect();
        let hits = relevant.intersection(&found).count();
        let extra = found.difference(&relevant).count();
        if word.chars().count() == 2 {
            rel2 += relevant.len();
            hit2 += hits;
        } else {
            rel3 += relevant.len();
            hit3 += hits;
        }
        recall_rows.push(serde_json::json!({"word": word, "relevant": relevant.len(), "found": hits, "extra": extra}));
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    eprintln!(
        "recall (micro): 2-character words {:.4}, 3+-character words {:.4}",
        ratio(hit2, rel2),
        ratio(hit3, rel3)
    );
    let report = serde_json::json!({
        "matters": n,
        "reused": reuse,
        "index_seconds": index_secs,
        "index_bytes": size,
        "latency": latency,
        "one_word_queries": one_word,
        "two_word_queries": pairs,
        "recall_words": recall_rows,
    });
    std::fs::write(
        out.join("tantivy.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
}

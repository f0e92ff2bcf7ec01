//! Domain classification under 5-fold cross-validation on the shared labelled data (never copied into
//! the repository): macro-F1 per fold and prediction throughput, for the side-by-side comparison with
//! scikit-learn in `scripts/bench/classify_vs_sklearn`.
//!
//!     cargo run --release -p xinfang-text --example classify_eval -- ../shared/data/teddycup2020c FOLDS.jsonl
//!
//! The labelled texts are those `xinfang train` reads: labelled_full.csv (title and detail),
//! labelled_details.csv and labelled_titles.csv, one example per distinct text. Folds are stratified by
//! label and seeded; they are written to FOLDS.jsonl (`{"text", "label", "fold"}`) for the other side.
//! Each fold's model is trained as `xinfang train` trains (calibration included), written to bytes and
//! loaded again, so what is measured is what a model file does. Throughput: the held-out texts of a
//! fold predicted one by one on one thread, features included; the median of 5 passes.

use std::io::Write;
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use xinfang_text::classify::{Classifier, Example, TrainOptions, corpus, train};

const FOLDS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .map_or("../shared/data/teddycup2020c", String::as_str);
    let out = args.get(2);
    let mut all = Vec::new();
    for file in [
        "labelled_full.csv",
        "labelled_details.csv",
        "labelled_titles.csv",
    ] {
        let path = format!("{dir}/{file}");
        let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let read = corpus::read_board_csv(std::io::BufReader::new(f)).expect("labelled CSV");
        eprintln!(
            "{file}: {} texts, {} rows left out",
            read.examples.len(),
            read.skipped.len()
        );
        all.extend(read.examples);
    }
    let examples = corpus::dedupe(all);
    let mut labels: Vec<String> = examples.iter().filter_map(|e| e.domain.clone()).collect();
    labels.sort();
    labels.dedup();

    // Stratified, seeded: each label's texts shuffled, then dealt round the folds.
    let mut fold = vec![0usize; examples.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for label in &labels {
        let mut idx: Vec<usize> = (0..examples.len())
            .filter(|&i| examples[i].domain.as_ref() == Some(label))
            .collect();
        idx.shuffle(&mut rng);
        for (n, i) in idx.into_iter().enumerate() {
            fold[i] = n % FOLDS;
        }
    }
    if let Some(path) = out {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("folds file"));
        for (e, f) in examples.iter().zip(&fold) {
            let line = serde_json::json!({"text": e.text, "label": e.domain, "fold": f});
            writeln!(w, "{line}").expect("write");
        }
    }
    println!(
        "texts: {} distinct, {} labels",
        examples.len(),
        labels.len()
    );

    // Overrides for experiments (the defaults are what `xinfang train` uses).
    let mut options = TrainOptions::default();
    let env = |name: &str| std::env::var(name).ok();
    if let Some(v) = env("XF_C") {
        options.c = v.parse().expect("XF_C");
    }
    if let Some(v) = env("XF_MIN_DF") {
        options.min_df = v.parse().expect("XF_MIN_DF");
    }
    if let Some(v) = env("XF_CALIBRATION") {
        options.calibration_folds = v.parse().expect("XF_CALIBRATION");
    }
    let (mut f1s, mut rates, mut ece_sum, mut held_total) = (Vec::new(), Vec::new(), 0.0, 0);
    let mut model_bytes = 0;
    for k in 0..FOLDS {
        let train_set: Vec<Example> = (0..examples.len())
            .filter(|&i| fold[i] != k)
            .map(|i| examples[i].clone())
            .collect();
        let test: Vec<&Example> = (0..examples.len())
            .filter(|&i| fold[i] == k)
            .map(|i| &examples[i])
            .collect();
        let t0 = Instant::now();
        let model = train(&train_set, &options).expect("trains");
        let train_s = t0.elapsed().as_secs_f64();
        let bytes = model.to_bytes();
        model_bytes = bytes.len();
        let model = Classifier::from_bytes(&bytes).expect("loads its own bytes");
        let texts: Vec<&str> = test.iter().map(|e| e.text.as_str()).collect();
        let mut passes = Vec::new();
        let mut predicted = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            predicted = texts.iter().map(|t| model.best_domain_label(t)).collect();
            passes.push(t.elapsed().as_secs_f64());
        }
        passes.sort_by(f64::total_cmp);
        let rate = texts.len() as f64 / passes[2];
        let truth: Vec<usize> = test
            .iter()
            .map(|e| {
                let d = e.domain.as_ref().expect("labelled");
                model
                    .domain_labels()
                    .iter()
                    .position(|l| l == d)
                    .expect("known label")
            })
            .collect();
        let f1 = macro_f1(&truth, &predicted, model.domain_labels().len());
        // Calibration: expected calibration error of the top probability, 10 bins.
        let mut bins = [(0.0f64, 0.0f64, 0usize); 10];
        for (t, truth) in texts.iter().zip(&truth) {
            let p = model.domain_probabilities(t);
            let (best, conf) = p
                .iter()
                .enumerate()
                .fold((0, 0f32), |b, (i, &x)| if x > b.1 { (i, x) } else { b });
            let bin = ((conf * 10.0) as usize).min(9);
            bins[bin].0 += f64::from(conf);
            bins[bin].1 += f64::from(u8::from(best == *truth));
            bins[bin].2 += 1;
        }
        ece_sum += bins.iter().map(|b| (b.0 - b.1).abs()).sum::<f64>();
        held_total += texts.len();
        println!(
            "fold {k}: macro-F1 {f1:.4}, {:.0} texts/s ({} texts), trained in {train_s:.1} s, {} features, {} bytes",
            rate,
            texts.len(),
            model.features(),
            bytes.len()
        );
        f1s.push(f1);
        rates.push(rate);
    }
    let mean = f1s.iter().sum::<f64>() / FOLDS as f64;
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "mean macro-F1 {mean:.4}; throughput median {:.0} texts/s; confidence ECE {:.4}; model {} bytes",
        sorted[FOLDS / 2],
        ece_sum / held_total as f64,
        model_bytes
    );
    println!(
        "RESULT {}",
        serde_json::json!({"f1": f1s, "rate": rates, "ece": ece_sum / held_total as f64})
    );
}

fn macro_f1(truth: &[usize], predicted: &[usize], classes: usize) -> f64 {
    let mut sum = 0.0;
    for c in 0..classes {
        let tp = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| **t == c && **p == c)
            .count() as f64;
        let fp = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| **t != c && **p == c)
            .count() as f64;
        let fn_ = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| **t == c && **p != c)
            .count() as f64;
        sum += if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        };
    }
    sum / classes as f64
}

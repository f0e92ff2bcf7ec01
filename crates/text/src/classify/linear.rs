//! A linear text model: TF-IDF over character n-grams, one-vs-rest linear SVMs, a softmax temperature for
//! confidence. Training is liblinear's dual coordinate descent for the L2-regularised squared-hinge loss
//! (the solver behind scikit-learn's `LinearSVC`), small enough to own: no numeric crate needed.

use std::collections::HashMap;

use super::features::for_each_ngram;

/// Settings of one training run. The defaults are what the committed model was trained with.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The SVM's C: larger fits the training texts more closely.
    pub c: f32,
    /// N-grams seen in fewer training texts than this are not features.
    pub min_df: u32,
    /// Passes over the training texts at most, per class.
    pub max_epochs: usize,
    /// Folds used to collect held-out scores for the confidence's temperature (0: no calibration,
    /// temperature 1).
    pub calibration_folds: usize,
    /// Seed of the order texts are visited in: same seed, same data, same model bytes.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            c: 4.0,
            min_df: 2,
            max_epochs: 60,
            calibration_folds: 3,
            seed: 20_201_125,
        }
    }
}

/// A trained model in memory: the features it knows (sorted n-gram keys) with their IDF, one quantized
/// weight per feature and class, a scale and a bias per class, and the temperature of its confidence.
#[derive(Debug, Clone)]
pub struct LinearModel {
    pub(crate) labels: Vec<String>,
    pub(crate) keys: Vec<u64>,
    pub(crate) idf: Vec<u16>,
    pub(crate) weights: Vec<i8>,
    pub(crate) scales: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    pub(crate) temperature: f32,
    table: Table,
    /// Per feature, its IDF (2 bytes) and its weights (one byte per label) side by side: a feature found
    /// in a text costs one read.
    rows: Vec<u8>,
}

/// IDF is stored in 1/IDF_STEPS units (IDF runs from 1 to about ln(texts) + 1).
pub(crate) const IDF_STEPS: f32 = 2048.0;

impl PartialEq for LinearModel {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
            && self.keys == other.keys
            && self.idf == other.idf
            && self.weights == other.weights
            && self.scales == other.scales
            && self.bias == other.bias
            && self.temperature == other.temperature
    }
}

impl LinearModel {
    pub(crate) fn new(
        labels: Vec<String>,
        keys: Vec<u64>,
        idf: Vec<u16>,
        weights: Vec<i8>,
        scales: Vec<f32>,
        bias: Vec<f32>,
        temperature: f32,
    ) -> Self {
        let table = Table::new(&keys);
        let stride = labels.len() + 2;
        let mut rows = Vec::with_capacity(keys.len() * stride);
        for (f, idf) in idf.iter().enumerate() {
            rows.extend_from_slice(&idf.to_le_bytes());
            rows.extend(
                weights[f * labels.len()..][..labels.len()]
                    .iter()
                    .map(|&w| w as u8),
            );
        }
        Self {
            rows,
            labels,
            keys,
            idf,
            weights,
            scales,
            bias,
            temperature,
            table,
        }
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn features(&self) -> usize {
        self.keys.len()
    }

    /// The SVM's margin for each label (`labels()` order), features extracted from `text`.
    pub fn scores(&self, text: &str) -> Vec<f32> {
        SCRATCH.with_borrow_mut(|scratch| {
            let Scratch { keys, first, found } = scratch;
            keys.clear();
            found.clear();
            for_each_ngram(text, |key| keys.push(key));
            self.table.get_all(keys, first, found);
            found.sort_unstable();
            let mut at = 0;
            self.score_features(std::iter::from_fn(|| {
                let i = *found.get(at)?;
                let mut run = 1;
                while at + run < found.len() && found[at + run] == i {
                    run += 1;
                }
                at += run;
                Some((i, run as u32))
            }))
        })
    }

    /// The margins of a text given as n-gram counts (as [`scores`](Self::scores) of its text).
    pub(crate) fn scores_of_counts(&self, counts: &Counts) -> Vec<f32> {
        self.score_features(
            counts
                .iter()
                .filter_map(|&(k, n)| self.table.get(k).map(|i| (i, n))),
        )
    }

    fn score_features(&self, features: impl IntoIterator<Item = (u32, u32)>) -> Vec<f32> {
        let classes = self.labels.len();
        let stride = classes + 2;
        let mut acc = vec![0f32; classes];
        let mut norm2 = 0f32;
        for (i, n) in features {
            let row = &self.rows[i as usize * stride..][..stride];
            let idf = u16::from_le_bytes([row[0], row[1]]);
            let v = tf(n) * f32::from(idf) / IDF_STEPS;
            norm2 += v * v;
            for (a, &w) in acc.iter_mut().zip(&row[2..]) {
                *a += v * f32::from(w as i8);
            }
        }
        let inv = if norm2 > 0.0 {
            norm2.sqrt().recip()
        } else {
            0.0
        };
        acc.iter()
            .zip(&self.scales)
            .zip(&self.bias)
            .map(|((a, s), b)| a * s * inv + b)
            .collect()
    }

    /// Probabilities of the labels: a softmax of the margins at the model's temperature.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        softmax(&self.scores(text), self.temperature)
    }
}

/// Buffers of one thread's predictions, kept between texts.
#[derive(Default)]
struct Scratch {
    keys: Vec<u64>,
    first: Vec<(u32, u32)>,
    found: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Sublinear term frequency: a word said ten times is not ten times the evidence.
#[inline]
fn tf(count: u32) -> f32 {
    1.0 + (count as f32).ln()
}

pub(crate) fn softmax(scores: &[f32], temperature: f32) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores
        .iter()
        .map(|s| ((s - max) / temperature).exp())
        .collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// Open addressing over the model's keys, built when a model is loaded (never stored). A slot holds a
/// 32-bit fingerprint of the key and the feature's number: 8 bytes, so the table of a 300,000-feature
/// model is 4 MB, and a lookup is one read. A key that is not a feature passes for one only if its
/// fingerprint matches that of a key in the slots it probes: about once in 4 billion probes, and then it
/// adds one feature's weight to one text's score.
#[derive(Debug, Clone, Default)]
struct Table {
    slots: Vec<(u32, u32)>,
    shift: u32,
}

const EMPTY: u32 = u32::MAX;

impl Table {
    fn new(keys: &[u64]) -> Self {
        let bits = (keys.len() + keys.len() / 2)
            .max(16)
            .next_power_of_two()
            .trailing_zeros();
        let mut slots = vec![(0u32, EMPTY); 1 << bits];
        let shift = 64 - bits;
        let mask = (1usize << bits) - 1;
        for (i, &k) in keys.iter().enumerate() {
            let mut at = slot(k, shift);
            while slots[at].1 != EMPTY {
                at = (at + 1) & mask;
            }
            slots[at] = (fingerprint(k), i as u32);
        }
        Self { slots, shift }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u32> {
        self.probe(fingerprint(key), slot(key, self.shift))
    }

    #[inline]
    fn probe(&self, fp: u32, mut at: usize) -> Option<u32> {
        let mask = self.slots.len() - 1;
        loop {
            let (f, i) = self.slots[at];
            if i == EMPTY {
                return None;
            }
            if f == fp {
                return Some(i);
            }
            at = (at + 1) & mask;
        }
    }

    /// The features of many keys. The first probe of every key is loaded before any is examined, so
    /// the memory reads overlap instead of waiting for each other: the table is larger than the caches,
    /// and this is most of the time a prediction takes.
    fn get_all(&self, keys: &[u64], first: &mut Vec<(u32, u32)>, out: &mut Vec<u32>) {
        first.clear();
        first.extend(keys.iter().map(|&k| self.slots[slot(k, self.shift)]));
        for (&key, &(f, i)) in keys.iter().zip(first.iter()) {
            if i == EMPTY {
                continue;
            }
            let fp = fingerprint(key);
            if f == fp {
                out.push(i);
            } else if let Some(i) = self.probe(fp, slot(key, self.shift)) {
                out.push(i);
            }
        }
    }
}

#[inline]
fn slot(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

#[inline]
fn fingerprint(key: u64) -> u32 {
    (key.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32) as u32
}

/// A small seeded generator for visiting order: fixed, so a model is a function of its data and seed.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// A training text as n-gram counts, sorted by key.
pub(crate) type Counts = Vec<(u64, u32)>;

pub(crate) fn counts(text: &str) -> Counts {
    let mut keys = Vec::new();
    for_each_ngram(text, |k| keys.push(k));
    keys.sort_unstable();
    let mut out: Counts = Vec::new();
    for k in keys {
        match out.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => out.push((k, 1)),
        }
    }
    out
}

/// A TF-IDF vector: (feature, value) sorted by feature, L2-normalised.
type Sparse = Vec<(u32, f32)>;

/// Trains a model for `labels[y[i]]` from texts given as n-gram counts.
pub(crate) fn train(
    docs: &[&Counts],
    y: &[u32],
    labels: Vec<String>,
    options: &TrainOptions,
) -> LinearModel {
    let classes = labels.len();
    // Features: n-grams in at least min_df texts, in key order.
    let mut df: HashMap<u64, u32> = HashMap::new();
    for d in docs {
        for (k, _) in d.iter() {
            *df.entry(*k).or_insert(0) += 1;
        }
    }
    let mut keys: Vec<u64> = df
        .iter()
        .filter(|&(_, &n)| n >= options.min_df)
        .map(|(&k, _)| k)
        .collect();
    keys.sort_unstable();
    let n = docs.len() as f32;
    let idf: Vec<u16> = keys
        .iter()
        .map(|k| {
            let v = ((1.0 + n) / (1.0 + df[k] as f32)).ln() + 1.0;
            (v * IDF_STEPS).round().min(f32::from(u16::MAX)) as u16
        })
        .collect();
    let id: HashMap<u64, u32> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (k, i as u32))
        .collect();
    let xs: Vec<Sparse> = docs
        .iter()
        .map(|d| {
            let mut v: Sparse = d
                .iter()
                .filter_map(|(k, c)| {
                    id.get(k)
                        .map(|&i| (i, tf(*c) * f32::from(idf[i as usize]) / IDF_STEPS))
                })
                .collect();
            v.sort_unstable_by_key(|e| e.0);
            let norm = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|e| e.1 /= norm);
            }
            v
        })
        .collect();

    // One-vs-rest, each class on its own thread (the results do not depend on the threads).
    let dims = keys.len();
    let per_class: Vec<(Vec<f32>, f32)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..classes)
            .map(|c| {
                let xs = &xs;
                s.spawn(move || {
                    let signs: Vec<f32> = y
                        .iter()
                        .map(|&l| if l as usize == c { 1.0 } else { -1.0 })
                        .collect();
                    dual_cd(xs, &signs, dims, options, options.seed ^ c as u64)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("training thread"))
            .collect()
    });

    // Quantize: per class, weights as i8 of max |w| / 127.
    let scales: Vec<f32> = per_class
        .iter()
        .map(|(w, _)| {
            let m = w.iter().fold(0f32, |m, v| m.max(v.abs()));
            if m > 0.0 { m / 127.0 } else { 1.0 }
        })
        .collect();
    let mut weights = vec![0i8; dims * classes];
    for (c, (w, _)) in per_class.iter().enumerate() {
        for (f, v) in w.iter().enumerate() {
            weights[f * classes + c] = (v / scales[c]).round().clamp(-127.0, 127.0) as i8;
        }
    }
    // Features whose every weight rounds to zero only weigh on the norm: dropped, as unseen n-grams are.
    let keep: Vec<bool> = (0..dims)
        .map(|f| weights[f * classes..][..classes].iter().any(|&w| w != 0))
        .collect();
    let mut k2 = Vec::new();
    let mut idf2 = Vec::new();
    let mut w2 = Vec::new();
    for f in 0..dims {
        if keep[f] {
            k2.push(keys[f]);
            idf2.push(idf[f]);
            w2.extend_from_slice(&weights[f * classes..][..classes]);
        }
    }
    let bias = per_class.iter().map(|(_, b)| *b).collect();
    LinearModel::new(labels, k2, idf2, w2, scales, bias, 1.0)
}

/// Bias feature value (liblinear's `-B 1`, scikit-learn's intercept_scaling=1).
const BIAS: f32 = 1.0;

/// Dual coordinate descent for the L2-regularised L2-loss SVM (Hsieh et al. 2008; liblinear solver 1,
/// without shrinking). Returns the weights and the bias.
fn dual_cd(
    xs: &[Sparse],
    y: &[f32],
    dims: usize,
    options: &TrainOptions,
    seed: u64,
) -> (Vec<f32>, f32) {
    let diag = 0.5 / options.c;
    let qd: Vec<f32> = xs
        .iter()
        .map(|x| diag + x.iter().map(|e| e.1 * e.1).sum::<f32>() + BIAS * BIAS)
        .collect();
    let mut w = vec![0f32; dims];
    let mut b = 0f32;
    let mut alpha = vec![0f32; xs.len()];
    let mut order: Vec<usize> = (0..xs.len()).collect();
    let mut rng = SplitMix::new(seed);
    for _ in 0..options.max_epochs {
        rng.shuffle(&mut order);
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        for &i in &order {
            let x = &xs[i];
            let dot: f32 = x.iter().map(|&(f, v)| w[f as usize] * v).sum::<f32>() + b * BIAS;
            let g = y[i] * dot - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * y[i];
                for &(f, v) in x {
                    w[f as usize] += d * v;
                }
                b += d * BIAS;
            }
        }
        if pg_max - pg_min < 0.01 {
            break;
        }
    }
    (w, b)
}

/// The temperature that makes softmax(scores / T) fit the held-out labels best (least negative
/// log-likelihood), by golden-section search over log T.
pub(crate) fn fit_temperature(scores: &[Vec<f32>], y: &[u32]) -> f32 {
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp() as f32;
        scores
            .iter()
            .zip(y)
            .map(|(s, &l)| -(f64::from(softmax(s, t)[l as usize]).max(1e-12)).ln())
            .sum()
    };
    let (mut lo, mut hi) = ((0.01f64).ln(), (10.0f64).ln());
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let a = hi - phi * (hi - lo);
        let b = lo + phi * (hi - lo);
        if nll(a) < nll(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    (((lo + hi) / 2.0).exp() as f32 * 10_000.0).round() / 10_000.0
}

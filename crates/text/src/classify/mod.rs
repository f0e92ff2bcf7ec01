//! Suggestions of a contact's domain (内容分类) and purpose (信访目的) from its text, with confidence.
//!
//! - Domain: a linear model over character 1–3-grams (sublinear TF × IDF, L2-normalised), one-vs-rest
//!   linear SVMs trained by dual coordinate descent ([`linear`]). Labels are domain paths of the tree:
//!   a first level (`城乡建设`) or a first and second level (`城乡建设/物业`) where the training data
//!   has them. The shared public data has first levels only, so the shipped model suggests first
//!   levels; a model trained with staff choices from a database also suggests second levels.
//! - Confidence of the domain: the probability of a softmax over the SVM margins at a temperature fitted
//!   on held-out folds at training time (so 0.8 means right about 8 times in 10 on texts like the
//!   training ones); a first level's confidence is the sum over its paths.
//! - Purpose: learned like the domain when the training data carries enough staff choices, otherwise
//!   the cue-word rules of [`purpose`], whose score is not a probability (see there).
//!
//! Model files ([`format`]) are versioned, checked and deterministic; the default model, trained from the
//! shared data with `xinfang train`, is embedded ([`Classifier::builtin`]).

pub mod corpus;
pub mod features;
mod format;
pub mod labels;
mod linear;
pub mod purpose;

use std::sync::OnceLock;

use xinfang_domain::catalog::{Purpose, code};

pub use format::{ModelError, VERSION as MODEL_VERSION};
pub use linear::{LinearModel, TrainOptions};

/// The model shipped in the binary: trained from the shared data (docs/performance.md says how).
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../../../../data/models/classify.xfc");

/// Purpose is learned only when every purpose learned has at least this many staff choices, and at
/// least two purposes have; below that, the rules know more.
pub const MIN_PURPOSE_EXAMPLES: usize = 30;

/// Other domains listed beside the suggestion.
const ALTERNATIVES: usize = 3;

/// One training text with what staff (or the public data's labels) said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    /// A domain path: `城乡建设` or `城乡建设/物业`.
    pub domain: Option<String>,
    pub purpose: Option<Purpose>,
}

/// What the classifier suggests for one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    /// First level of the domain tree.
    pub domain: String,
    /// Second level, when the model knows second levels and the best path has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_second: Option<String>,
    /// Probability of the first level, 0..1 (calibrated on held-out texts).
    pub domain_confidence: f64,
    pub purpose: Purpose,
    /// 0..1: a probability when purpose was learned, a rule score when it comes from cue words.
    pub purpose_confidence: f64,
    pub purpose_source: PurposeSource,
    /// The next most likely first levels, best first.
    pub alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeSource {
    /// Learned from staff choices.
    Model,
    /// Cue words ([`purpose`]).
    Rules,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alternative {
    pub domain: String,
    pub confidence: f64,
}

/// Why a text got no suggestion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("文本中没有可供分类的文字（只有空白、标点、符号或表情）")]
    NoText,
}

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainError {
    #[error("没有带内容分类的训练文本")]
    NoExamples,
    #[error("训练文本只有一个内容分类（{0}），至少需要两个")]
    OneLabel(String),
}

/// A domain model and, when learned, a purpose model.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    domain: LinearModel,
    purpose: Option<LinearModel>,
}

impl Classifier {
    /// The model shipped in the binary, loaded once.
    pub fn builtin() -> Result<&'static Classifier, ModelError> {
        static BUILTIN: OnceLock<Result<Classifier, ModelError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Classifier::from_bytes(BUILTIN_MODEL))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelError> {
        let (domain, purpose) = format::decode(bytes)?;
        Ok(Classifier { domain, purpose })
    }

    /// The model file: the same model gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        format::encode(&self.domain, self.purpose.as_ref())
    }

    /// The domain paths this model can suggest.
    pub fn domain_labels(&self) -> &[String] {
        self.domain.labels()
    }

    /// Whether purpose was learned (else it comes from the cue words).
    pub fn learned_purpose(&self) -> bool {
        self.purpose.is_some()
    }

    /// Features (n-grams) the domain model knows.
    pub fn features(&self) -> usize {
        self.domain.features()
    }

    /// The index in [`domain_labels`](Self::domain_labels) of the most likely path: the fast path for
    /// batch evaluation, no probabilities.
    pub fn best_domain_label(&self, text: &str) -> usize {
        argmax(&self.domain.scores(text))
    }

    /// Probabilities of the domain paths, in [`domain_labels`](Self::domain_labels) order.
    pub fn domain_probabilities(&self, text: &str) -> Vec<f32> {
        self.domain.probabilities(text)
    }

    pub fn suggest(&self, text: &str) -> Result<Suggestion, ClassifyError> {
        let mut any = false;
        features::for_each_ngram(text, |_| any = true);
        if !any {
            return Err(ClassifyError::NoText);
        }
        let probs = self.domain.probabilities(text);
        // First levels: the sum over their paths, best first (ties in label order, for stable output).
        let mut firsts: Vec<(&str, f32)> = Vec::new();
        for (label, p) in self.domain.labels().iter().zip(&probs) {
            let first = label.split('/').next().unwrap_or(label);
            match firsts.iter_mut().find(|(f, _)| *f == first) {
                Some((_, sum)) => *sum += p,
                None => firsts.push((first, *p)),
            }
        }
        firsts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (domain, domain_confidence) = firsts[0];
        let domain_second = self
            .domain
            .labels()
            .iter()
            .zip(&probs)
            .filter(|(l, _)| l.split('/').next() == Some(domain))
            .max_by(|a, b| a.1.total_cmp(b.1))
            .and_then(|(l, _)| l.split_once('/').map(|(_, s)| s.to_owned()));
        let (purpose, purpose_confidence, purpose_source) = match &self.purpose {
            Some(model) => {
                let p = model.probabilities(text);
                let best = argmax(&p);
                let purpose = Purpose::ALL
                    .into_iter()
                    .find(|x| code(x) == model.labels()[best])
                    .unwrap_or(Purpose::Demand);
                (purpose, p[best], PurposeSource::Model)
            }
            None => {
                let (purpose, score, _) = purpose::by_cues(text);
                (purpose, score, PurposeSource::Rules)
            }
        };
        Ok(Suggestion {
            domain: domain.to_owned(),
            domain_second,
            domain_confidence: round(domain_confidence),
            purpose,
            purpose_confidence: round(purpose_confidence),
            purpose_source,
            alternatives: firsts[1..]
                .iter()
                .take(ALTERNATIVES)
                .map(|(d, p)| Alternative {
                    domain: (*d).to_owned(),
                    confidence: round(*p),
                })
                .collect(),
        })
    }
}

/// Confidences to 4 places: more would only suggest precision the model does not have.
fn round(p: f32) -> f64 {
    (f64::from(p) * 10_000.0).round() / 10_000.0
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 { (i, x) } else { best }
        })
        .0
}

/// Trains a classifier. Texts without a domain (or with nothing readable) teach nothing about domains; a
/// purpose model is learned only from [`MIN_PURPOSE_EXAMPLES`] staff choices per purpose upward.
pub fn train(examples: &[Example], options: &TrainOptions) -> Result<Classifier, TrainError> {
    let counts: Vec<linear::Counts> = examples.iter().map(|e| linear::counts(&e.text)).collect();
    let with_domain: Vec<(usize, &str)> = examples
        .iter()
        .enumerate()
        .filter(|(i, _)| !counts[*i].is_empty())
        .filter_map(|(i, e)| e.domain.as_deref().map(|d| (i, d)))
        .collect();
    let domain = learn(&with_domain, &counts, options)?;
    let purposes: Vec<(usize, String)> = examples
        .iter()
        .enumerate()
        .filter(|(i, _)| !counts[*i].is_empty())
        .filter_map(|(i, e)| e.purpose.map(|p| (i, code(&p))))
        .collect();
    let mut per_purpose = std::collections::BTreeMap::<&str, usize>::new();
    for (_, p) in &purposes {
        *per_purpose.entry(p).or_default() += 1;
    }
    let purpose =
        if per_purpose.len() >= 2 && per_purpose.values().all(|&n| n >= MIN_PURPOSE_EXAMPLES) {
            let refs: Vec<(usize, &str)> = purposes.iter().map(|(i, p)| (*i, p.as_str())).collect();
            Some(learn(&refs, &counts, options)?)
        } else {
            None
        };
    Ok(Classifier { domain, purpose })
}

/// One linear model for `(example, label)` pairs, with its temperature fitted on held-out folds.
fn learn(
    items: &[(usize, &str)],
    counts: &[linear::Counts],
    options: &TrainOptions,
) -> Result<LinearModel, TrainError> {
    let mut labels: Vec<String> = items.iter().map(|(_, l)| (*l).to_owned()).collect();
    labels.sort();
    labels.dedup();
    match labels.len() {
        0 => return Err(TrainError::NoExamples),
        1 => return Err(TrainError::OneLabel(labels[0].clone())),
        _ => {}
    }
    let y: Vec<u32> = items
        .iter()
        .map(|(_, l)| {
            labels
                .binary_search_by(|x| x.as_str().cmp(l))
                .expect("listed") as u32
        })
        .collect();
    let docs: Vec<&linear::Counts> = items.iter().map(|(i, _)| &counts[*i]).collect();

    let folds = options.calibration_folds;
    let temperature = if folds >= 2 && items.len() >= folds * 2 {
        let mut order: Vec<usize> = (0..items.len()).collect();
        linear::SplitMix::new(options.seed).shuffle(&mut order);
        let mut scores = Vec::with_capacity(items.len());
        let mut truth = Vec::with_capacity(items.len());
        for f in 0..folds {
            let held: Vec<usize> = order.iter().skip(f).step_by(folds).copied().collect();
            let kept: Vec<usize> = (0..order.len())
                .filter(|at| at % folds != f)
                .map(|at| order[at])
                .collect();
            let kept_docs: Vec<&linear::Counts> = kept.iter().map(|&i| docs[i]).collect();
            let kept_y: Vec<u32> = kept.iter().map(|&i| y[i]).collect();
            let model = linear::train(&kept_docs, &kept_y, labels.clone(), options);
            for &i in &held {
                scores.push(model.scores_of_counts(docs[i]));
                truth.push(y[i]);
            }
        }
        linear::fit_temperature(&scores, &truth)
    } else {
        1.0
    };
    let mut model = linear::train(&docs, &y, labels, options);
    model.temperature = temperature;
    Ok(model)
}

//! `POST /api/v1/classify`: the domain and purpose a text suggests, with confidence, for the clerk who is
//! registering it. Reads nothing from the database and writes nothing; the model is the one built in or
//! the one the server was started with ([`use_model`]).

use std::sync::OnceLock;

use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_domain::catalog::Purpose;
use xinfang_text::classify::{Classifier, ClassifyError, PurposeSource, Suggestion};

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::matters::may_read_matters;

static MODEL: OnceLock<Classifier> = OnceLock::new();

/// Serve suggestions from this model instead of the built-in one. Call once, before serving; a later call
/// changes nothing and returns false.
pub fn use_model(model: Classifier) -> bool {
    MODEL.set(model).is_ok()
}

fn model() -> Result<&'static Classifier, ApiError> {
    match MODEL.get() {
        Some(m) => Ok(m),
        None => Classifier::builtin().map_err(|_| ApiError::Unavailable("内置分类模型无法加载")),
    }
}

/// A text to classify: the summary and full text of a contact, as the clerk has them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    /// 摘要、全文或两者。
    pub text: String,
}

/// What the text suggests. Staff choose; these only save them the search.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifyResponse {
    /// First level of the content-domain tree (内容分类).
    pub domain: String,
    /// Second level, when the model was trained with second levels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_second: Option<String>,
    /// Probability of `domain`, 0..1, calibrated on held-out texts at training time.
    pub domain_confidence: f64,
    pub purpose: Purpose,
    /// 0..1: a probability when purpose was learned from staff choices (`purpose_source` = `model`), a
    /// cue-word score otherwise (`rules`).
    pub purpose_confidence: f64,
    /// `model` or `rules`.
    pub purpose_source: String,
    /// The next most likely first levels, best first.
    pub alternatives: Vec<DomainAlternative>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainAlternative {
    pub domain: String,
    pub confidence: f64,
}

impl From<Suggestion> for ClassifyResponse {
    fn from(s: Suggestion) -> Self {
        Self {
            domain: s.domain,
            domain_second: s.domain_second,
            domain_confidence: s.domain_confidence,
            purpose: s.purpose,
            purpose_confidence: s.purpose_confidence,
            purpose_source: match s.purpose_source {
                PurposeSource::Model => "model",
                PurposeSource::Rules => "rules",
            }
            .to_owned(),
            alternatives: s
                .alternatives
                .into_iter()
                .map(|a| DomainAlternative {
                    domain: a.domain,
                    confidence: a.confidence,
                })
                .collect(),
        }
    }
}

/// Suggest the domain and purpose of a text.
#[utoipa::path(
    post,
    path = "/api/v1/classify",
    tag = "文本分析",
    request_body = ClassifyRequest,
    responses(
        (status = 200, body = ClassifyResponse),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The text has nothing to classify"),
        (status = 503, body = ErrorBody, description = "The model could not be loaded")
    )
)]
pub async fn classify(
    auth: Auth,
    ApiJson(request): ApiJson<ClassifyRequest>,
) -> Result<Json<ClassifyResponse>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let model = model()?;
    // A long text is a few milliseconds of work: off the async workers all the same.
    let suggestion = tokio::task::spawn_blocking(move || model.suggest(&request.text))
        .await
        .map_err(|_| ApiError::Unavailable("分类任务未能完成"))?;
    match suggestion {
        Ok(s) => Ok(Json(s.into())),
        Err(e @ ClassifyError::NoText) => Err(ApiError::Invalid {
            field: "text",
            message: e.to_string(),
        }),
    }
}

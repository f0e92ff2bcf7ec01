//! Near-duplicate and repeat candidates for a contact being registered (`POST /api/v1/similar`), so the
//! clerk sees them while typing. Each server process keeps its own lookup of every registered contact —
//! 3-gram MinHash bands (`xinfang_text::dedup`) and the petitioners' ID numbers and name-with-telephone —
//! and follows the log: before answering it reads whatever any process registered since, so several
//! processes on one PostgreSQL database all see every contact. The rules that turn a match into a
//! proposed link, and its reasons, are `xinfang_domain::links`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use utoipa::ToSchema;
use xinfang_domain::access::{self, IdentityView};
use xinfang_domain::catalog::{DomainPath, code as tag};
use xinfang_domain::ids::{ContactId, IdNumber, MatterId, Phone, RegionCode, UnitId};
use xinfang_domain::links::{self, LinkFacts, LinkReason, PersonKeys};
use xinfang_domain::petition::{Contact, ContactRelation, Petitioner};
use xinfang_domain::workflow::china_date;
use xinfang_store::{Ledger, StoreError};
use xinfang_text::dedup::{DedupIndex, Shingles};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::matters::{MatterItem, item_of, list_row_of, may_read_matters};

/// Contacts read from the log per query while catching up.
const BATCH: i64 = 5_000;
/// How long a question waits for the lookup to read what was registered since the last one.
const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a question waits for the first reading of the whole log after a start.
const FIRST_READ_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Candidates answered at most.
const MAX_CANDIDATES: usize = 50;

/// Every registered contact, as far as finding it again needs.
#[derive(Default)]
pub struct SimilarIndex {
    inner: RwLock<Lookup>,
    /// False until the first catch-up has read the whole log.
    ready: AtomicBool,
}

#[derive(Default)]
struct Lookup {
    /// The last event read.
    seq: i64,
    texts: DedupIndex<u32>,
    contacts: Vec<Known>,
    by_person: HashMap<String, Vec<u32>>,
}

struct Known {
    matter: MatterId,
    contact: ContactId,
    facts: LinkFacts,
    /// Where its text is in `texts`, if long enough to compare.
    text_place: Option<u32>,
}

/// The text a contact is compared by: what it says, in every field that says it.
fn text_of(summary: &str, full_text: &str, demands: &str) -> String {
    format!("{summary}\n{full_text}\n{demands}")
}

fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(NaiveDate::MIN).num_days()
}

fn facts_of(contact: &Contact) -> LinkFacts {
    let d = &contact.draft;
    LinkFacts {
        people: d.petitioners.iter().map(PersonKeys::of).collect(),
        domain: Some(d.domain.clone()),
        region: Some(d.location.region.clone()),
        target_unit: d.target.as_ref().and_then(|t| t.unit.clone()),
        received_day: Some(day_number(china_date(d.received_at))),
        registered_by: Some(contact.registered_by.clone()),
    }
}

impl Lookup {
    fn add(&mut self, contact: &Contact) {
        let at = u32::try_from(self.contacts.len()).expect("fewer than 4 billion contacts");
        let d = &contact.draft;
        let text_place = self
            .texts
            .insert(at, &text_of(&d.summary, &d.full_text, &d.demands));
        let facts = facts_of(contact);
        for person in &facts.people {
            for key in person.keys() {
                self.by_person.entry(key.to_owned()).or_default().push(at);
            }
        }
        self.contacts.push(Known {
            matter: contact.matter.clone(),
            contact: d.id.clone(),
            facts,
            text_place,
        });
    }
}

impl SimilarIndex {
    /// Read what was registered since the last call, by this process or any other. Cheap when nothing
    /// was: one read of the chain head.
    pub async fn catch_up(&self, ledger: &Ledger) -> Result<(), StoreError> {
        let head = ledger.store().head_seq().await?;
        if self.inner.read().await.seq >= head {
            return Ok(());
        }
        let store = ledger.store();
        loop {
            let mut lookup = self.inner.write().await;
            let batch = store.contacts_after(lookup.seq, BATCH).await?;
            for (_, contact) in &batch {
                lookup.add(contact);
            }
            match batch.last() {
                Some((seq, _)) if batch.len() as i64 == BATCH => lookup.seq = *seq,
                // Every contact up to the head read above is in: the head is where we are.
                _ => {
                    lookup.seq = head.max(batch.last().map_or(0, |(seq, _)| *seq));
                    break;
                }
            }
        }
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Keep up with the log in the background, so the first question after a start, or after a burst
    /// of registrations in other processes, does not wait for the reading.
    pub async fn follow(self: Arc<Self>, ledger: Ledger) {
        loop {
            if let Err(e) = self.catch_up(&ledger).await {
                tracing::warn!(error = %e, "near-duplicate lookup could not read the log");
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    async fn candidates(&self, ask: &Asked) -> Vec<(MatterId, Found)> {
        let lookup = self.inner.read().await;
        let query = Shingles::of(&ask.text);
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for hit in lookup.texts.near_duplicates_of(&query, links::SIMILAR_TEXT) {
            scores.insert(hit.id, hit.similarity.containment);
        }
        for person in &ask.facts.people {
            for key in person.keys() {
                for &at in lookup.by_person.get(key).into_iter().flatten() {
                    scores.entry(at).or_insert_with(|| {
                        lookup.contacts[at as usize]
                            .text_place
                            .map_or(0.0, |place| {
                                lookup.texts.similarity_at(place, &query).containment
                            })
                    });
                }
            }
        }
        let mut best: HashMap<MatterId, Found> = HashMap::new();
        for (at, text_score) in scores {
            let known = &lookup.contacts[at as usize];
            let Some(proposal) = links::assess(&ask.facts, &known.facts, text_score) else {
                continue;
            };
            let found = Found {
                contact: known.contact.clone(),
                proposal,
                text_score,
            };
            match best.get(&known.matter) {
                Some(b) if b.proposal.score >= found.proposal.score => {}
                _ => {
                    best.insert(known.matter.clone(), found);
                }
            }
        }
        let mut found: Vec<(MatterId, Found)> = best.into_iter().collect();
        found.sort_by(|a, b| {
            b.1.proposal
                .score
                .total_cmp(&a.1.proposal.score)
                .then_with(|| a.0.as_str().cmp(b.0.as_str()))
        });
        found
    }
}

struct Found {
    contact: ContactId,
    proposal: links::LinkProposal,
    text_score: f64,
}

struct Asked {
    text: String,
    facts: LinkFacts,
}

/// A contact being registered, as far as it is typed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarRequest {
    /// 摘要
    #[serde(default)]
    pub summary: String,
    /// 全文
    #[serde(default)]
    pub full_text: String,
    /// 诉求
    #[serde(default)]
    pub demands: String,
    #[serde(default)]
    pub petitioners: Vec<PetitionerAsked>,
    /// Where the problem is: a GB/T 2260 region code.
    pub region: Option<String>,
    /// Content domain, first level or "first/second".
    pub domain: Option<String>,
    /// The unit complained about.
    pub target_unit: Option<String>,
    /// When it arrived (RFC 3339); now if left out.
    pub received_at: Option<DateTime<Utc>>,
    /// At most this many candidates (default 10, at most 50).
    pub limit: Option<usize>,
}

/// A petitioner as typed so far: any of the fields may still be empty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionerAsked {
    #[serde(default)]
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

/// Earlier matters the contact may belong to, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarAnswer {
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    /// The earlier matter, as the viewer may see it.
    pub matter: MatterItem,
    /// Its contact that matched best.
    pub contact: String,
    /// The proposed link: repeat (重复信访) or multi_submission (一信多投).
    pub relation: String,
    pub relation_label: String,
    /// 0 to 1.
    pub score: f64,
    /// Share of the shorter text's 3-grams found in the other (0 to 1).
    pub text_similarity: f64,
    pub reasons: Vec<ReasonView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// same_text, similar_text, same_id_number, same_name_phone, co_petitioner, same_domain,
    /// same_place, same_target.
    pub code: String,
    pub label: String,
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.to_owned(),
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_request(request: &SimilarRequest, unit: &UnitId) -> Result<Asked, ApiError> {
    let mut people = Vec::new();
    for (i, p) in request.petitioners.iter().enumerate() {
        let id_number = non_empty(&p.id_number)
            .map(IdNumber::parse)
            .transpose()
            .map_err(|_| {
                bad(
                    &format!("petitioners[{i}].id_number"),
                    "身份证号码无效（应为 18 位，校验码正确）",
                )
            })?;
        let phone = non_empty(&p.phone)
            .map(Phone::parse)
            .transpose()
            .map_err(|_| bad(&format!("petitioners[{i}].phone"), "电话号码无效"))?;
        people.push(PersonKeys::of(&Petitioner {
            name: p.name.clone(),
            id_number,
            phone,
            address: String::new(),
        }));
    }
    let region = request
        .region
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(RegionCode::parse)
        .transpose()
        .map_err(|_| bad("region", "行政区划代码无效"))?;
    let target_unit = request
        .target_unit
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(UnitId::parse)
        .transpose()
        .map_err(|_| bad("target_unit", "单位编号无效"))?;
    let domain = request
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|d| match d.split_once('/') {
            Some((first, second)) => DomainPath::new(first, Some(second)),
            None => DomainPath::new(d, None),
        });
    let received = request.received_at.unwrap_or_else(Utc::now);
    Ok(Asked {
        text: text_of(&request.summary, &request.full_text, &request.demands),
        facts: LinkFacts {
            people,
            domain,
            region,
            target_unit,
            received_day: Some(day_number(china_date(received))),
            registered_by: Some(unit.clone()),
        },
    })
}

/// Earlier matters a contact being registered may belong to: copies of the same letter (一信多投) and the
/// same person's same problem again (重复信访), with scores and reasons. Nothing is written; the clerk
/// decides when registering (`reviews` of `POST /api/v1/matters`), and that decision is recorded.
#[utoipa::path(
    post,
    path = "/api/v1/similar",
    tag = "信访事项",
    request_body = SimilarRequest,
    responses(
        (status = 200, body = SimilarAnswer),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "The lookup is still reading the log after a start")
    )
)]
pub async fn similar(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<SimilarRequest>,
) -> Result<Json<SimilarAnswer>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let asked = parse_request(&request, &principal.unit)?;
    let limit = request.limit.unwrap_or(10).clamp(1, MAX_CANDIDATES);
    let index = &state.similar;
    // Right after a start the whole log is read once; a big one takes longer than a clerk should wait.
    let wait = if index.ready.load(Ordering::Acquire) {
        CATCH_UP_WAIT
    } else {
        FIRST_READ_WAIT
    };
    match tokio::time::timeout(wait, index.catch_up(&state.ledger)).await {
        Ok(caught_up) => caught_up?,
        Err(_) => return Err(ApiError::Unavailable("重复件比对索引正在建立，请稍后再试")),
    }
    let org = auth.org.clone();
    let today = china_date(Utc::now());
    let mut candidates = Vec::new();
    let mut identities_shown = Vec::new();
    for (matter_id, found) in index.candidates(&asked).await {
        if candidates.len() == limit {
            break;
        }
        // Out of scope is as if it did not exist; so is a matter another process has not finished.
        let Some(matter) = state.ledger.matter(&matter_id).await? else {
            continue;
        };
        if !access::can_see(principal, &matter, &org) {
            continue;
        }
        let view = access::identity_view(principal, &matter, &org);
        if view == IdentityView::Full {
            identities_shown.push(matter_id.to_string());
        }
        let mut reasons = found.proposal.reasons.clone();
        let by_text = reasons
            .iter()
            .any(|r| matches!(r, LinkReason::SameText | LinkReason::SimilarText));
        if view == IdentityView::Hidden && !by_text {
            // Found only through who petitioned, which this viewer may not know.
            continue;
        }
        if view == IdentityView::Hidden {
            // Who petitioned is not this viewer's to know, not even that it is the same person.
            reasons.retain(|r| {
                !matches!(
                    r,
                    LinkReason::SameIdNumber | LinkReason::SameNamePhone | LinkReason::CoPetitioner
                )
            });
        }
        candidates.push(Candidate {
            matter: item_of(list_row_of(&matter), principal, &org, today),
            contact: found.contact.to_string(),
            relation: tag(&found.proposal.relation),
            relation_label: relation_label(found.proposal.relation).to_owned(),
            score: round(found.proposal.score),
            text_similarity: round(found.text_score),
            reasons: reasons
                .into_iter()
                .map(|r| ReasonView {
                    code: tag(&r),
                    label: r.label().to_owned(),
                })
                .collect(),
        });
    }
    if !identities_shown.is_empty() {
        state
            .ledger
            .record(auth.audit("similar", "", identities_shown.join(",")))
            .await?;
    }
    Ok(Json(SimilarAnswer { candidates }))
}

fn relation_label(relation: ContactRelation) -> &'static str {
    match relation {
        ContactRelation::First => "初信初访",
        ContactRelation::Repeat => "重复信访",
        ContactRelation::MultiSubmission => "一信多投",
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

//! When a new contact is the same problem as an earlier one: 重复信访 (the same people again) or 一信多投
//! (the same letter to several offices). Text similarity is measured elsewhere (`xinfang-text`); the rules
//! that weigh it with who petitioned, where and about whom live here, so that every caller proposes
//! the same links for the same reasons.

use serde::{Deserialize, Serialize};

use crate::catalog::DomainPath;
use crate::ids::{RegionCode, UnitId};
use crate::petition::{ContactRelation, Petitioner};

/// Why a link was proposed. Stored in the staff's decision, so the reasons they saw stay on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LinkReason {
    /// The texts are nearly the same (a copy, an edited copy, the same letter to another office).
    SameText,
    /// The texts tell much of the same problem.
    SimilarText,
    /// A petitioner has the same 居民身份证 number.
    SameIdNumber,
    /// A petitioner has the same name and telephone number.
    SameNamePhone,
    /// A petitioner of the new contact was a co-petitioner (not the first named) of the earlier one.
    CoPetitioner,
    /// The same content domain (first level).
    SameDomain,
    /// The problem is in the same place (the same county-level region or below).
    SamePlace,
    /// The same unit complained about.
    SameTarget,
}

impl LinkReason {
    pub fn label(self) -> &'static str {
        match self {
            LinkReason::SameText => "内容基本相同",
            LinkReason::SimilarText => "内容相近",
            LinkReason::SameIdNumber => "同一身份证号",
            LinkReason::SameNamePhone => "姓名和电话相同",
            LinkReason::CoPetitioner => "曾是该件次的联名信访人",
            LinkReason::SameDomain => "内容分类相同",
            LinkReason::SamePlace => "问题发生地相同",
            LinkReason::SameTarget => "反映对象相同",
        }
    }
}

/// Text at or above this score (containment of 3-grams) is the same letter.
pub const SAME_TEXT: f64 = 0.8;
/// Text at or above this score tells much of the same problem.
pub const SIMILAR_TEXT: f64 = 0.3;
/// 一信多投: the same letter arriving at another office within this many days of the first copy.
pub const MULTI_SUBMISSION_DAYS: i64 = 30;

/// What is known of one side of a comparison: the new draft, or an earlier contact.
#[derive(Debug, Clone, Default)]
pub struct LinkFacts {
    /// Person keys of the petitioners, first named first ([`person_keys`]).
    pub people: Vec<PersonKeys>,
    pub domain: Option<DomainPath>,
    pub region: Option<RegionCode>,
    pub target_unit: Option<UnitId>,
    /// Days since an epoch (any fixed one, the same on both sides).
    pub received_day: Option<i64>,
    /// The unit where it was registered.
    pub registered_by: Option<UnitId>,
}

/// How one petitioner can be recognised again: by ID number, or by name with telephone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PersonKeys {
    /// 18 characters, check letter upper-case (as [`crate::ids::IdNumber`] keeps it).
    pub id_number: Option<String>,
    /// Name without spaces + "|" + telephone digits.
    pub name_phone: Option<String>,
}

impl PersonKeys {
    pub fn of(p: &Petitioner) -> PersonKeys {
        let name: String = p.name.chars().filter(|c| !c.is_whitespace()).collect();
        PersonKeys {
            id_number: p.id_number.as_ref().map(|id| id.as_str().to_owned()),
            name_phone: match &p.phone {
                Some(phone) if !name.is_empty() => Some(format!("{name}|{}", phone.as_str())),
                _ => None,
            },
        }
    }

    /// Every key, for an index from key to contacts.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.id_number
            .iter()
            .chain(&self.name_phone)
            .map(String::as_str)
    }
}

/// A proposed link of a new contact to the matter of an earlier one, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkProposal {
    pub relation: ContactRelation,
    /// 0 to 1: how sure the proposal is; candidates are shown best first.
    pub score: f64,
    pub reasons: Vec<LinkReason>,
}

/// Whether the new contact is a repeat or another copy of the earlier one, and why.
///
/// - 一信多投: the same text (score ≥ [`SAME_TEXT`]) registered at another unit within
///   [`MULTI_SUBMISSION_DAYS`].
/// - 重复信访: the same person (ID number, name and telephone, or a co-petitioner) and the same problem:
///   similar text, or two of the same domain, place and unit complained about. The same text from the
///   same person is a repeat too, however much later.
/// - The same text from nobody known (anonymous letters, copies by others) is still shown as a
///   possible repeat, for staff to judge: identical letters are rarely about different problems.
pub fn assess(new: &LinkFacts, earlier: &LinkFacts, text_score: f64) -> Option<LinkProposal> {
    let mut reasons = Vec::new();
    let person = same_person(new, earlier);
    reasons.extend(person);
    if text_score >= SAME_TEXT {
        reasons.push(LinkReason::SameText);
    } else if text_score >= SIMILAR_TEXT {
        reasons.push(LinkReason::SimilarText);
    }
    let same = |a: Option<&str>, b: Option<&str>| a.is_some() && a == b;
    let same_domain = same(
        new.domain.as_ref().map(|d| d.first.as_str()),
        earlier.domain.as_ref().map(|d| d.first.as_str()),
    );
    let same_place = match (&new.region, &earlier.region) {
        (Some(a), Some(b)) => county(a.as_str()) == county(b.as_str()),
        _ => false,
    };
    let same_target = same(
        new.target_unit.as_ref().map(UnitId::as_str),
        earlier.target_unit.as_ref().map(UnitId::as_str),
    );
    for (holds, reason) in [
        (same_domain, LinkReason::SameDomain),
        (same_place, LinkReason::SamePlace),
        (same_target, LinkReason::SameTarget),
    ] {
        if holds {
            reasons.push(reason);
        }
    }
    let context = [same_domain, same_place, same_target]
        .iter()
        .filter(|&&b| b)
        .count();

    let days_apart = match (new.received_day, earlier.received_day) {
        (Some(a), Some(b)) => Some((a - b).abs()),
        _ => None,
    };
    let elsewhere = match (&new.registered_by, &earlier.registered_by) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    let relation = if text_score >= SAME_TEXT
        && elsewhere
        && days_apart.is_some_and(|d| d <= MULTI_SUBMISSION_DAYS)
    {
        ContactRelation::MultiSubmission
    } else if text_score >= SAME_TEXT
        || (person.is_some() && (text_score >= SIMILAR_TEXT || context >= 2))
    {
        ContactRelation::Repeat
    } else {
        return None;
    };

    let person_weight = match person {
        Some(LinkReason::SameIdNumber) => 0.4,
        Some(_) => 0.3,
        None => 0.0,
    };
    let score = (person_weight + 0.45 * text_score + 0.05 * context as f64).min(1.0);
    reasons.sort();
    Some(LinkProposal {
        relation,
        score,
        reasons,
    })
}

/// The strongest sign that some petitioner of `new` is one of `earlier`.
fn same_person(new: &LinkFacts, earlier: &LinkFacts) -> Option<LinkReason> {
    let mut best: Option<LinkReason> = None;
    for p in &new.people {
        for (i, q) in earlier.people.iter().enumerate() {
            let found = if p.id_number.is_some() && p.id_number == q.id_number {
                Some(LinkReason::SameIdNumber)
            } else if p.name_phone.is_some() && p.name_phone == q.name_phone {
                Some(LinkReason::SameNamePhone)
            } else {
                None
            };
            let Some(found) = found else { continue };
            if found == LinkReason::SameIdNumber {
                return Some(if i == 0 {
                    found
                } else {
                    LinkReason::CoPetitioner
                });
            }
            if best.is_none() {
                best = Some(if i == 0 {
                    found
                } else {
                    LinkReason::CoPetitioner
                });
            }
        }
    }
    best
}

/// The county-level part of a region code (6 digits): the same district is the same place.
fn county(code: &str) -> &str {
    code.get(..6).unwrap_or(code)
}

/// A staff decision on a proposed link, as recorded in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkDecision {
    /// The earlier matter proposed.
    pub candidate: crate::ids::MatterId,
    /// repeat or multi_submission.
    pub relation: ContactRelation,
    /// True: linked (the contact was registered to the candidate). False: not the same problem.
    pub confirmed: bool,
    /// The reasons shown.
    #[serde(default)]
    pub reasons: Vec<LinkReason>,
    /// The score shown, in thousandths.
    #[serde(default)]
    pub score_permille: u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{IdNumber, Phone};

    fn person(name: &str, id: Option<&str>, phone: Option<&str>) -> PersonKeys {
        PersonKeys::of(&Petitioner {
            name: name.into(),
            id_number: id.map(|s| IdNumber::parse(s).unwrap()),
            phone: phone.map(|s| Phone::parse(s).unwrap()),
            address: String::new(),
        })
    }

    fn facts(people: Vec<PersonKeys>, region: &str, day: i64, unit: &str) -> LinkFacts {
        LinkFacts {
            people,
            domain: Some(DomainPath::new("劳动和社会保障", Some("拖欠农民工工资"))),
            region: Some(RegionCode::parse(region).unwrap()),
            target_unit: None,
            received_day: Some(day),
            registered_by: Some(UnitId::parse(unit).unwrap()),
        }
    }

    const ID: &str = "11010519491231002X";

    #[test]
    fn the_same_person_about_the_same_problem_is_a_repeat() {
        let earlier = facts(vec![person("张三", Some(ID), None)], "330102", 0, "a");
        let new = facts(vec![person("张 三", Some(ID), None)], "330102", 200, "a");
        let p = assess(&new, &earlier, 0.45).unwrap();
        assert_eq!(p.relation, ContactRelation::Repeat);
        assert!(p.reasons.contains(&LinkReason::SameIdNumber));
        assert!(p.reasons.contains(&LinkReason::SimilarText));
        // Different words, same domain and place: still the same person's problem.
        let p = assess(&new, &earlier, 0.1).unwrap();
        assert_eq!(p.relation, ContactRelation::Repeat);
        assert_eq!(
            p.reasons,
            vec![
                LinkReason::SameIdNumber,
                LinkReason::SameDomain,
                LinkReason::SamePlace
            ]
        );
    }

    #[test]
    fn name_and_phone_or_a_co_petitioner_recognise_a_person() {
        let earlier = facts(
            vec![
                person("李四", None, Some("13800138000")),
                person("王五", None, Some("13900139000")),
            ],
            "330102",
            0,
            "a",
        );
        let by_phone = facts(
            vec![person("李四", None, Some("13800138000"))],
            "330102",
            9,
            "a",
        );
        let p = assess(&by_phone, &earlier, 0.35).unwrap();
        assert!(p.reasons.contains(&LinkReason::SameNamePhone));
        let co = facts(
            vec![person("王五", None, Some("13900139000"))],
            "330102",
            9,
            "a",
        );
        let p = assess(&co, &earlier, 0.35).unwrap();
        assert!(p.reasons.contains(&LinkReason::CoPetitioner));
        // Same name, another phone: not recognised, and a different problem is no link.
        let other = facts(
            vec![person("李四", None, Some("13700137000"))],
            "330105",
            9,
            "a",
        );
        assert_eq!(assess(&other, &earlier, 0.1), None);
    }

    #[test]
    fn the_same_letter_at_another_office_soon_after_is_one_letter_to_many() {
        let earlier = facts(vec![], "330102", 0, "county");
        let new = facts(vec![], "330102", 5, "city");
        let p = assess(&new, &earlier, 0.93).unwrap();
        assert_eq!(p.relation, ContactRelation::MultiSubmission);
        assert!(p.reasons.contains(&LinkReason::SameText));
        // The same letter months later at the same office: it came back.
        let later = facts(vec![], "330102", 120, "county");
        assert_eq!(
            assess(&later, &earlier, 0.93).unwrap().relation,
            ContactRelation::Repeat
        );
    }

    #[test]
    fn a_stranger_with_another_problem_in_the_same_place_is_no_link() {
        let earlier = facts(vec![person("张三", Some(ID), None)], "330102", 0, "a");
        let new = facts(
            vec![person("赵六", None, Some("13600136000"))],
            "330102",
            3,
            "a",
        );
        assert_eq!(assess(&new, &earlier, 0.5), None);
    }
}

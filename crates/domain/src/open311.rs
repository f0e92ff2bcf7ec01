//! What xinfang shows through the open interfaces (Open311 GeoReport v2, decision 0032): the services a
//! platform may file under, and each matter as the public may see it. The public view is built here, from
//! the matter's state, so that no interface can add a person to it: no petitioner's name, number or
//! address, no target, no staff note. A matter's summary appears only when every petitioner agreed to
//! publication (同意公开), never for 检举控告, and with the petitioners' names blanked even then.

use chrono::{DateTime, NaiveDate, Utc};

use crate::access::{IdentityView, redact_names};
use crate::catalog::{DomainPath, DomainTree, Purpose};
use crate::ids::RegionCode;
use crate::org::Org;
use crate::workflow::{Matter, Status};

/// Joins a first-level domain and its second level in a service code: `劳动社保-工资拖欠`.
pub const SERVICE_CODE_SEPARATOR: char = '-';

/// One request type of the Open311 service list: a domain of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub code: String,
    pub name: String,
    /// The first-level domain it belongs to.
    pub group: String,
    pub path: DomainPath,
}

/// Every first-level domain and every second-level domain of the tree, in the tree's order: a platform
/// that cannot tell the second level files under the first.
pub fn services(tree: &DomainTree) -> Vec<Service> {
    let mut out = Vec::new();
    for node in &tree.domains {
        out.push(Service {
            code: node.name.clone(),
            name: node.name.clone(),
            group: node.name.clone(),
            path: DomainPath::new(&node.name, None),
        });
        for child in &node.children {
            out.push(Service {
                code: format!("{}{SERVICE_CODE_SEPARATOR}{child}", node.name),
                name: child.clone(),
                group: node.name.clone(),
                path: DomainPath::new(&node.name, Some(child)),
            });
        }
    }
    out
}

/// The service a code names, if the tree has it.
pub fn service(tree: &DomainTree, code: &str) -> Option<Service> {
    services(tree).into_iter().find(|s| s.code == code)
}

/// The service code of a registered domain path.
pub fn service_code(path: &DomainPath) -> String {
    match &path.second {
        Some(second) => format!("{}{SERVICE_CODE_SEPARATOR}{second}", path.first),
        None => path.first.clone(),
    }
}

/// Open311 knows two states. A matter is closed once it has been answered or disposed of (办结, 不予受理,
/// 导入法定途径, 终结) and open while someone owes it a step, including a 复查 or 复核 under way.
pub fn is_closed(status: Status) -> bool {
    matches!(
        status,
        Status::Answered
            | Status::Reviewed
            | Status::Final
            | Status::NotAccepted
            | Status::Redirected
    )
}

/// A matter as the public interfaces show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRequest {
    pub id: String,
    pub closed: bool,
    pub status_label: &'static str,
    pub service_code: String,
    pub service_name: String,
    /// The summary, only where publication was agreed to (see the module documentation).
    pub description: Option<String>,
    /// The unit that must answer, or the bureau while none is assigned.
    pub agency: Option<String>,
    /// When the first contact was received.
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The next legal deadline while the matter is open.
    pub expected_on: Option<NaiveDate>,
    pub region: RegionCode,
    /// The region's names from the province down: 浙江省杭州市西湖区. Never the street address, which may
    /// be a petitioner's home.
    pub address: String,
}

/// The public view of a matter.
pub fn public_request(matter: &Matter, org: &Org) -> PublicRequest {
    let closed = is_closed(matter.status);
    let everyone_consents = !matter.contacts.is_empty()
        && matter
            .contacts
            .iter()
            .all(|c| c.flags.declared.consent_publication);
    let description = (everyone_consents && matter.purpose != Purpose::Accusation).then(|| {
        let names: Vec<String> = matter
            .contacts
            .iter()
            .flat_map(|c| c.petitioner_names.iter().cloned())
            .collect();
        blank_numbers(&redact_names(&matter.summary, &names, IdentityView::Hidden))
    });
    let agency = matter
        .handler
        .as_ref()
        .or(Some(&matter.bureau))
        .and_then(|u| org.unit(u))
        .map(|u| u.name.clone());
    let requested_at = matter
        .contacts
        .iter()
        .map(|c| c.received_at)
        .min()
        .unwrap_or(matter.opened_at);
    PublicRequest {
        id: matter.id.to_string(),
        closed,
        status_label: matter.status.label(),
        service_code: service_code(&matter.domain),
        service_name: matter
            .domain
            .second
            .clone()
            .unwrap_or_else(|| matter.domain.first.clone()),
        description,
        agency,
        requested_at,
        updated_at: matter.last_event_at,
        expected_on: if closed { None } else { matter.next_due() },
        region: matter.region.clone(),
        address: region_address(org, &matter.region),
    }
}

/// Long digit runs blanked: a phone or ID number written into a summary is a person's, whoever agreed.
fn blank_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 7 {
            out.push_str("***");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        // An ID number may end in X.
        if c.is_ascii_digit() || (matches!(c, 'X' | 'x') && !run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A region's name after the names of the regions containing it, skipping regions the organisation
/// does not know and names already said (a region named in full repeats its parent's).
pub fn region_address(org: &Org, region: &RegionCode) -> String {
    let mut chain = vec![region.clone()];
    while let Some(parent) = chain.last().and_then(RegionCode::parent) {
        chain.push(parent);
    }
    let mut out = String::new();
    let mut parent_name = "";
    for code in chain.iter().rev() {
        if let Some(r) = org.region(code) {
            match r.name.strip_prefix(parent_name) {
                Some(rest) if !parent_name.is_empty() => out.push_str(rest),
                _ => out.push_str(&r.name),
            }
            parent_name = &r.name;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::rules::Rules;

    #[test]
    fn every_domain_is_a_service_and_codes_round_trip() {
        let tree = Rules::default().domains;
        let all = services(&tree);
        let firsts = all.iter().filter(|s| s.path.second.is_none()).count();
        assert_eq!(firsts, tree.domains.len());
        for s in &all {
            assert_eq!(service(&tree, &s.code).as_ref(), Some(s));
            assert_eq!(service_code(&s.path), s.code);
        }
        assert!(service(&tree, "no-such-domain").is_none());
    }

    #[test]
    fn closed_means_answered_or_disposed_of() {
        assert!(!is_closed(Status::AwaitingTriage));
        assert!(!is_closed(Status::UnderReview));
        assert!(is_closed(Status::Answered));
        assert!(is_closed(Status::Final));
    }

    #[test]
    fn numbers_in_a_text_are_blanked_but_short_ones_stay() {
        assert_eq!(
            blank_numbers("电话13800138000，身份证11010519491231002X，欠薪8万元"),
            "电话***，身份证***，欠薪8万元"
        );
        assert_eq!(blank_numbers("2025年3号楼"), "2025年3号楼");
    }

    #[test]
    fn the_region_is_named_from_the_province_down() {
        let org = fixtures::org();
        let name = region_address(&org, &RegionCode::parse("330102").unwrap());
        assert!(name.ends_with("上城区"), "{name}");
        assert!(!name.contains("望江"), "never the street");
    }
}

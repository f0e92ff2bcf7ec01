//! Who may see what (brief §3, §8): the rules the API and every export apply, kept here so that they are
//! the same everywhere and testable without a server.
//!
//! - Scope: a user sees the matters of their own unit and of the units below it, never sideways. A matter
//!   belongs to the units that hold it: its bureau, its handler and co-handlers, earlier handlers that
//!   returned it, and the authorities reviewing it.
//! - Personal data (names, ID numbers, phones, addresses) is shown only to roles that work with
//!   petitioners; others see it masked.
//! - A unit that is itself the 反映对象, or lies below it, never sees the petitioner's identity, whatever
//!   the role; in 检举控告 matters neither does any unit above the target that handles it on its behalf
//!   unless it is a petition bureau or the reviewing authority.

use crate::catalog::Purpose;
use crate::ids::UnitId;
use crate::org::Org;
use crate::workflow::{Matter, Principal, Role};

/// Roles whose work needs petitioners' identities.
const IDENTITY_ROLES: [Role; 5] = [
    Role::Registrar,
    Role::Dispatcher,
    Role::Handler,
    Role::Supervisor,
    Role::Leader,
];

/// How a user may see the people in a matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityView {
    /// Names, ID numbers, phones and addresses in full (and every such read is audited).
    Full,
    /// Masked: 张*、110***********1234、138****8000.
    Masked,
    /// Nothing that identifies the petitioner: the matter is about this user's unit.
    Hidden,
}

/// What the access rules need to know about a matter. The full state has it; so does a row of a list,
/// which must not fold every matter it shows.
pub trait MatterFacts {
    fn purpose(&self) -> Purpose;
    fn target_unit(&self) -> Option<&UnitId>;
    /// The units that hold the matter (duplicates allowed).
    fn holders(&self) -> Vec<&UnitId>;
}

impl MatterFacts for Matter {
    fn purpose(&self) -> Purpose {
        self.purpose
    }
    fn target_unit(&self) -> Option<&UnitId> {
        self.target_unit.as_ref()
    }
    fn holders(&self) -> Vec<&UnitId> {
        holders(self).collect()
    }
}

/// The units that hold a matter.
pub fn holders(m: &Matter) -> impl Iterator<Item = &UnitId> {
    std::iter::once(&m.bureau)
        .chain(m.handler.iter())
        .chain(m.co_handlers.iter())
        .chain(m.previous_handlers.iter())
        .chain(m.reviews.iter().map(|r| &r.authority))
        .chain(m.contacts.iter().map(|c| &c.registered_by))
}

/// Whether the user's unit is one of the matter's holders or above one of them.
pub fn can_see(principal: &Principal, m: &impl MatterFacts, org: &Org) -> bool {
    m.holders()
        .into_iter()
        .any(|u| org.is_same_or_above(&principal.unit, u))
}

/// Whether the user's unit is the unit complained about, or below it.
pub fn is_complained_about(principal: &Principal, m: &impl MatterFacts, org: &Org) -> bool {
    m.target_unit()
        .is_some_and(|target| org.is_same_or_above(target, &principal.unit))
}

/// How this user may see the petitioners of a matter they can see.
pub fn identity_view(principal: &Principal, m: &impl MatterFacts, org: &Org) -> IdentityView {
    if is_complained_about(principal, m, org) {
        return IdentityView::Hidden;
    }
    if m.purpose() == Purpose::Accusation && !handles_accusation(principal, m, org) {
        return IdentityView::Hidden;
    }
    if principal.roles.iter().any(|r| IDENTITY_ROLES.contains(r)) {
        IdentityView::Full
    } else {
        IdentityView::Masked
    }
}

/// In 检举控告 matters only the units that register, route, handle or review it see who reported.
fn handles_accusation(principal: &Principal, m: &impl MatterFacts, org: &Org) -> bool {
    let me = &principal.unit;
    org.unit(me)
        .is_some_and(|u| u.kind == crate::org::UnitKind::PetitionBureau)
        || m.holders().into_iter().any(|u| u == me)
}

/// An address cut after its first six characters (the district, usually): 浙江省杭州市******.
pub fn mask_address(address: &str) -> String {
    let kept: String = address.chars().take(6).collect();
    let hidden = address.chars().count().saturating_sub(6);
    kept + &"*".repeat(hidden.min(6))
}

/// What stands in for a person in a text the viewer may not see them in.
pub const HIDDEN_PERSON: &str = "＊＊＊";

/// A text as this viewer may read it: these people's names, ID numbers, phone numbers and addresses
/// masked (or, hidden, replaced by [`HIDDEN_PERSON`]) wherever they occur in it.
pub fn redact_identities(
    text: &str,
    people: &[crate::petition::Petitioner],
    view: IdentityView,
) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for p in people {
        pairs.push((p.name.trim().to_owned(), mask_name(p.name.trim())));
        if let Some(id) = &p.id_number {
            pairs.push((id.as_str().to_owned(), id.masked()));
        }
        if let Some(phone) = &p.phone {
            pairs.push((phone.as_str().to_owned(), phone.masked()));
        }
        pairs.push((p.address.trim().to_owned(), mask_address(p.address.trim())));
    }
    redact(text, pairs, view)
}

/// [`redact_identities`] when only the names are known (a list row).
pub fn redact_names(text: &str, names: &[String], view: IdentityView) -> String {
    let pairs = names
        .iter()
        .map(|n| (n.trim().to_owned(), mask_name(n.trim())))
        .collect();
    redact(text, pairs, view)
}

fn redact(text: &str, mut pairs: Vec<(String, String)>, view: IdentityView) -> String {
    if view == IdentityView::Full {
        return text.to_owned();
    }
    // A one-character "name" would blank out that character everywhere; longer strings first, so a
    // name inside an address is not replaced before the address.
    pairs.retain(|(plain, _)| plain.chars().count() >= 2);
    pairs.sort_by_key(|(plain, _)| std::cmp::Reverse(plain.chars().count()));
    let mut out = text.to_owned();
    for (plain, masked) in pairs {
        let with = if view == IdentityView::Hidden {
            HIDDEN_PERSON
        } else {
            masked.as_str()
        };
        out = out.replace(&plain, with);
    }
    out
}

/// A name with all but its first character masked: 张建国 → 张**.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::calendar::Calendar;
    use crate::fixtures::{self, *};
    use crate::ids::MatterId;
    use crate::petition::Target;
    use crate::rules::Rules;
    use crate::workflow::{Command, Ctx, Filing, Triage, decide};

    /// A matter registered at the district bureau about the district labour bureau, transferred to the
    /// district housing bureau.
    fn matter(purpose: Purpose) -> (Matter, Org) {
        let org = fixtures::org();
        let rules = Rules::default();
        let calendar = Calendar::mainland();
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap();
        let mut draft = fixtures::draft("C-A", at);
        draft.purpose = purpose;
        draft.target = Some(Target {
            name: "上城区人力资源和社会保障局劳动监察大队".into(),
            unit: Some(UnitId::parse(DISTRICT_LABOUR).unwrap()),
        });
        let id = MatterId::parse("XF-A").unwrap();
        let mut state: Option<Matter> = None;
        let steps = [
            (
                staff(DISTRICT_BUREAU, Role::Registrar),
                Command::Register {
                    filing: Filing::NewMatter { matter: id.clone() },
                    contact: Box::new(draft),
                },
            ),
            (
                staff(DISTRICT_BUREAU, Role::Dispatcher),
                Command::Triage {
                    matter: id.clone(),
                    triage: Triage::Transfer {
                        to: UnitId::parse(DISTRICT_HOUSING).unwrap(),
                        co_handlers: vec![],
                    },
                },
            ),
        ];
        for (who, cmd) in steps {
            let ctx = Ctx {
                principal: &who,
                at,
                org: &org,
                rules: &rules,
                calendar: &calendar,
            };
            for e in decide(state.as_ref(), &cmd, &ctx).unwrap() {
                match &mut state {
                    None => state = Matter::open(&e, at),
                    Some(m) => m.apply(&e, at, &who.actor()),
                }
            }
        }
        (state.unwrap(), org)
    }

    #[test]
    fn scope_is_own_unit_and_below_never_sideways() {
        let (m, org) = matter(Purpose::Demand);
        assert!(can_see(&staff(DISTRICT_BUREAU, Role::Registrar), &m, &org));
        assert!(can_see(&staff(DISTRICT_HOUSING, Role::Handler), &m, &org));
        assert!(
            can_see(&staff(DISTRICT_GOV, Role::Leader), &m, &org),
            "above the handler"
        );
        assert!(
            can_see(&staff(CITY_BUREAU, Role::Supervisor), &m, &org),
            "above the bureau"
        );
        assert!(
            !can_see(&staff(CITY_HOUSING, Role::Handler), &m, &org),
            "sideways"
        );
        assert!(
            !can_see(&staff(DISTRICT_LABOUR, Role::Handler), &m, &org),
            "a sibling unit"
        );
    }

    #[test]
    fn the_unit_complained_about_never_sees_who_complained() {
        let (m, org) = matter(Purpose::Demand);
        let target = staff(DISTRICT_LABOUR, Role::Leader);
        assert_eq!(identity_view(&target, &m, &org), IdentityView::Hidden);
        assert_eq!(
            identity_view(&staff(DISTRICT_HOUSING, Role::Handler), &m, &org),
            IdentityView::Full
        );
        assert_eq!(
            identity_view(&staff(DISTRICT_BUREAU, Role::Analyst), &m, &org),
            IdentityView::Masked
        );
    }

    #[test]
    fn accusations_show_identity_only_to_bureaus_and_holders() {
        let (m, org) = matter(Purpose::Accusation);
        assert_eq!(
            identity_view(&staff(DISTRICT_HOUSING, Role::Handler), &m, &org),
            IdentityView::Full
        );
        assert_eq!(
            identity_view(&staff(CITY_BUREAU, Role::Supervisor), &m, &org),
            IdentityView::Full
        );
        // The district government is above the handler but handles nothing here.
        assert_eq!(
            identity_view(&staff(DISTRICT_GOV, Role::Leader), &m, &org),
            IdentityView::Hidden
        );
        assert_eq!(
            identity_view(&staff(DISTRICT_LABOUR, Role::Handler), &m, &org),
            IdentityView::Hidden
        );
    }

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("张建国"), "张**");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name(""), "");
    }
}

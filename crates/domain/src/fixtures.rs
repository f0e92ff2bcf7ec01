//! A small, fixed organisation and ready-made drafts, for tests and examples across the workspace.

use chrono::{DateTime, Utc};

use crate::catalog::{Channel, DomainPath, Purpose};
use crate::ids::{ContactId, IdNumber, Level, Phone, RegionCode, UnitId, UserId};
use crate::org::{Org, OrgCommand, Region, Unit, UnitKind};
use crate::petition::{ContactDraft, DeclaredFlags, Location, Petitioner};
use crate::workflow::{Principal, Role};

pub const PROVINCE_GOV: &str = "prov-gov";
pub const PROVINCE_BUREAU: &str = "prov-xfj";
pub const CITY_GOV: &str = "city-gov";
pub const CITY_BUREAU: &str = "city-xfj";
pub const CITY_HOUSING: &str = "city-zjj";
pub const DISTRICT_GOV: &str = "dist-gov";
pub const DISTRICT_BUREAU: &str = "dist-xfj";
pub const DISTRICT_HOUSING: &str = "dist-zjj";
pub const DISTRICT_LABOUR: &str = "dist-rsj";

fn unit(
    id: &str,
    name: &str,
    kind: UnitKind,
    level: Level,
    region: &str,
    parent: Option<&str>,
) -> Unit {
    Unit {
        id: UnitId::parse(id).expect("fixture id"),
        name: name.to_owned(),
        kind,
        level,
        region: RegionCode::parse(region).expect("fixture region"),
        parent: parent.map(|p| UnitId::parse(p).expect("fixture id")),
        domains: Vec::new(),
    }
}

/// Commands that create the fixture organisation, parents first.
pub fn org_commands() -> Vec<OrgCommand> {
    use Level::*;
    use UnitKind::*;
    let regions = [
        ("330000", "浙东省"),
        ("330100", "江川市"),
        ("330102", "江川市上城区"),
    ];
    let units = [
        unit(
            PROVINCE_GOV,
            "浙东省人民政府",
            Government,
            Province,
            "330000",
            None,
        ),
        unit(
            PROVINCE_BUREAU,
            "浙东省信访局",
            PetitionBureau,
            Province,
            "330000",
            None,
        ),
        unit(
            CITY_GOV,
            "江川市人民政府",
            Government,
            City,
            "330100",
            Some(PROVINCE_GOV),
        ),
        unit(
            CITY_BUREAU,
            "江川市信访局",
            PetitionBureau,
            City,
            "330100",
            Some(PROVINCE_BUREAU),
        ),
        unit(
            CITY_HOUSING,
            "江川市住房和城乡建设局",
            Department,
            City,
            "330100",
            Some(CITY_GOV),
        ),
        unit(
            DISTRICT_GOV,
            "上城区人民政府",
            Government,
            County,
            "330102",
            Some(CITY_GOV),
        ),
        unit(
            DISTRICT_BUREAU,
            "上城区信访局",
            PetitionBureau,
            County,
            "330102",
            Some(CITY_BUREAU),
        ),
        unit(
            DISTRICT_HOUSING,
            "上城区住房和城乡建设局",
            Department,
            County,
            "330102",
            Some(DISTRICT_GOV),
        ),
        unit(
            DISTRICT_LABOUR,
            "上城区人力资源和社会保障局",
            Department,
            County,
            "330102",
            Some(DISTRICT_GOV),
        ),
    ];
    regions
        .into_iter()
        .map(|(code, name)| {
            OrgCommand::DefineRegion(Region {
                code: RegionCode::parse(code).expect("fixture region"),
                name: name.to_owned(),
            })
        })
        .chain(units.into_iter().map(OrgCommand::CreateUnit))
        .collect()
}

/// The fixture organisation, folded.
pub fn org() -> Org {
    let mut org = Org::default();
    for c in org_commands() {
        for event in org.decide(&c, &admin()).expect("the fixture is valid") {
            org.apply(&event);
        }
    }
    org
}

pub fn admin() -> Principal {
    Principal {
        user: UserId::parse("admin").expect("fixture id"),
        unit: UnitId::parse("system").expect("fixture id"),
        roles: vec![Role::Admin],
    }
}

/// A staff member of `unit` with one role.
pub fn staff(unit: &str, role: Role) -> Principal {
    Principal {
        user: UserId::parse(&format!("{unit}-{}", role_tag(role))).expect("fixture id"),
        unit: UnitId::parse(unit).expect("fixture id"),
        roles: vec![role],
    }
}

/// The petitioner acting through the portal of `bureau`.
pub fn petitioner(bureau: &str) -> Principal {
    Principal {
        user: UserId::parse("petitioner").expect("fixture id"),
        unit: UnitId::parse(bureau).expect("fixture id"),
        roles: vec![Role::Petitioner],
    }
}

fn role_tag(role: Role) -> &'static str {
    match role {
        Role::Petitioner => "petitioner",
        Role::Registrar => "registrar",
        Role::Dispatcher => "dispatcher",
        Role::Handler => "handler",
        Role::Supervisor => "supervisor",
        Role::Leader => "leader",
        Role::Analyst => "analyst",
        Role::Admin => "admin",
    }
}

/// A demand about unpaid wages, received at `received_at`, with one named petitioner.
pub fn draft(id: &str, received_at: DateTime<Utc>) -> ContactDraft {
    ContactDraft {
        id: ContactId::parse(id).expect("fixture id"),
        channel: Channel::Visit,
        received_at,
        petitioners: vec![Petitioner {
            name: "张建国".into(),
            id_number: Some(IdNumber::parse("11010519491231002X").expect("valid id")),
            phone: Some(Phone::parse("13800138000").expect("valid phone")),
            address: "江川市上城区望江街道".into(),
        }],
        person_count: 1,
        location: Location {
            region: RegionCode::parse("330102").expect("fixture region"),
            address: "望江街道某工地".into(),
        },
        target: None,
        purpose: Purpose::Demand,
        domain: DomainPath::new("劳动和社会保障", Some("拖欠农民工工资")),
        summary: "反映某工地拖欠农民工工资八万元，要求尽快支付".into(),
        full_text: "本人于2025年在某工地务工，工程结束后包工头拖欠工资八万元至今未付。".into(),
        demands: "要求支付拖欠的工资".into(),
        attachments: Vec::new(),
        flags: DeclaredFlags::default(),
    }
}

/// Matters built by running commands through the workflow, as the ledger would, without a store: for
/// tests that need hand-built histories.
pub struct History {
    pub rules: crate::rules::Rules,
    pub calendar: crate::calendar::Calendar,
    pub org: Org,
    pub matters: std::collections::BTreeMap<crate::ids::MatterId, crate::workflow::Matter>,
}

impl History {
    pub fn new(rules: crate::rules::Rules) -> Self {
        Self {
            rules,
            calendar: crate::calendar::Calendar::mainland(),
            org: org(),
            matters: Default::default(),
        }
    }

    /// Decide `command` and fold its events; the refusal if it is refused.
    pub fn run(
        &mut self,
        who: &Principal,
        when: DateTime<Utc>,
        command: crate::workflow::Command,
    ) -> Result<Vec<crate::event::EventBody>, crate::error::WorkflowError> {
        let ctx = crate::workflow::Ctx {
            principal: who,
            at: when,
            org: &self.org,
            rules: &self.rules,
            calendar: &self.calendar,
        };
        let id = command.matter().clone();
        let events = crate::workflow::decide(self.matters.get(&id), &command, &ctx)?;
        for e in &events {
            match self.matters.get_mut(&id) {
                Some(m) => m.apply(e, when, &who.actor()),
                None => {
                    if let Some(m) = crate::workflow::Matter::open(e, when) {
                        self.matters.insert(id.clone(), m);
                    }
                }
            }
        }
        Ok(events)
    }

    /// As [`History::run`], for steps that must succeed.
    pub fn ok(&mut self, who: &Principal, when: DateTime<Utc>, command: crate::workflow::Command) {
        if let Err(e) = self.run(who, when, command) {
            panic!("refused: {e}");
        }
    }
}

//! A small, fixed organisation and ready-made drafts, for tests and examples across the workspace.

use chrono::{DateTime, Duration, Utc};

use crate::catalog::{Channel, DomainPath, EvaluationTarget, Outcome, Purpose, Rating};
use crate::ids::{ContactId, IdNumber, Level, MatterId, Phone, RegionCode, UnitId, UserId};
use crate::org::{Org, OrgCommand, Region, Unit, UnitKind};
use crate::petition::{ContactDraft, ContactRelation, DeclaredFlags, Location, Petitioner};
use crate::workflow::{Command, Filing, Principal, Role, Triage};

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

/// A small deterministic generator, so generated histories are the same on every run and engine.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A command at a time, by someone: what a test runs through the ledger, in order.
pub type Step = (Principal, DateTime<Utc>, Command);

/// `count` matters of the fixture district with every kind of step on varied days from `day0`: returns
/// to the bureau, extensions approved and refused, late and missing acceptance and answers, ratings by
/// petitioners and by staff (代评), repeats before and after 90 days. Some steps are refused by the
/// workflow on purpose (an extension asked after its deadline, say): run each and ignore refusals.
pub fn varied_histories(day0: DateTime<Utc>, count: u64, seed: u64) -> (Vec<MatterId>, Vec<Step>) {
    let mut dice = Dice(seed);
    let mut ids = Vec::new();
    let mut steps = Vec::new();
    let labour = || UnitId::parse(DISTRICT_LABOUR).unwrap();
    let housing = || UnitId::parse(DISTRICT_HOUSING).unwrap();
    for i in 0..count {
        let id = format!("XF-F{i:02}");
        let mut at = day0 + Duration::days(dice.roll(120) as i64);
        let m = || MatterId::parse(&id).expect("a valid matter id");
        steps.push((
            staff(DISTRICT_BUREAU, Role::Registrar),
            at,
            Command::Register {
                filing: Filing::NewMatter { matter: m() },
                contact: Box::new(draft(&format!("C-F{i:02}"), at)),
            },
        ));
        ids.push(m());
        at += Duration::days(1 + dice.roll(20) as i64);
        let first = if dice.roll(4) == 0 {
            housing()
        } else {
            labour()
        };
        let dispatcher = staff(DISTRICT_BUREAU, Role::Dispatcher);
        let transfer = |to| Command::Triage {
            matter: m(),
            triage: Triage::Transfer {
                to,
                co_handlers: vec![],
            },
        };
        steps.push((dispatcher.clone(), at, transfer(first.clone())));
        if first == housing() {
            at += Duration::days(1 + dice.roll(6) as i64);
            steps.push((
                staff(DISTRICT_HOUSING, Role::Handler),
                at,
                Command::ReturnToBureau {
                    matter: m(),
                    reason: "不属于本单位职责".into(),
                },
            ));
            at += Duration::days(1 + dice.roll(10) as i64);
            steps.push((dispatcher.clone(), at, transfer(labour())));
        }
        if dice.roll(8) == 0 {
            continue; // never accepted: overdue for ever
        }
        at += Duration::days(1 + dice.roll(20) as i64);
        let handler = staff(DISTRICT_LABOUR, Role::Handler);
        steps.push((handler.clone(), at, Command::Accept { matter: m() }));
        if dice.roll(3) == 0 {
            at += Duration::days(20 + dice.roll(30) as i64);
            steps.push((
                handler.clone(),
                at,
                Command::RequestExtension {
                    matter: m(),
                    days: 30,
                    reason: "需要进一步调查".into(),
                },
            ));
            steps.push((
                staff(DISTRICT_LABOUR, Role::Leader),
                at + Duration::days(1),
                Command::DecideExtension {
                    matter: m(),
                    approve: dice.roll(4) != 0,
                    note: "审批".into(),
                },
            ));
        }
        if dice.roll(6) == 0 {
            continue; // never answered
        }
        at += Duration::days(20 + dice.roll(70) as i64);
        steps.push((
            handler.clone(),
            at,
            Command::Answer {
                matter: m(),
                outcome: Outcome::PartlySupported,
                opinion: "已协调支付部分工资".into(),
            },
        ));
        for target in EvaluationTarget::BOTH {
            let rating = match dice.roll(4) {
                0 => continue,
                1 => Rating::Satisfied,
                2 => Rating::BasicallySatisfied,
                _ => Rating::Unsatisfied,
            };
            let who = if dice.roll(3) == 0 {
                staff(DISTRICT_BUREAU, Role::Registrar)
            } else {
                petitioner(DISTRICT_BUREAU)
            };
            let when = at + Duration::days(dice.roll(40) as i64);
            steps.push((
                who,
                when,
                Command::Evaluate {
                    matter: m(),
                    target,
                    rating,
                },
            ));
        }
        if dice.roll(2) == 0 {
            let when = at + Duration::days(60 + dice.roll(60) as i64);
            steps.push((
                staff(DISTRICT_BUREAU, Role::Registrar),
                when,
                Command::Register {
                    filing: Filing::Existing {
                        matter: m(),
                        relation: ContactRelation::Repeat,
                    },
                    contact: Box::new(draft(&format!("C-F{i:02}r"), when)),
                },
            ));
        }
    }
    (ids, steps)
}

/// Events long after the histories of [`varied_histories`]: for each matter a letter received in the
/// first weeks but registered at `later`, and an acceptance. A closed period seen as of its end must not
/// move because of them.
pub fn later_corrections(ids: &[MatterId], day0: DateTime<Utc>, later: DateTime<Utc>) -> Vec<Step> {
    let mut steps = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let late_letter = day0 + Duration::days(20);
        let mut late = draft(&format!("C-late{n}"), late_letter);
        late.received_at = late_letter;
        steps.push((
            staff(DISTRICT_BUREAU, Role::Registrar),
            later,
            Command::Register {
                filing: Filing::Existing {
                    matter: id.clone(),
                    relation: ContactRelation::Repeat,
                },
                contact: Box::new(late),
            },
        ));
        steps.push((
            staff(DISTRICT_LABOUR, Role::Handler),
            later,
            Command::Accept { matter: id.clone() },
        ));
    }
    steps
}

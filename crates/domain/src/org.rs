//! The organisation model (brief §3): regions and units in a tree. A user of a unit sees that unit's
//! matters and those of the units below it, never sideways.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::documents::{DocumentKind, Template};
use crate::ids::{Level, RegionCode, UnitId, UserId};
use crate::workflow::Role;

/// Ends each id in [`Org::unit_path`]; ids hold no control characters.
pub const UNIT_PATH_SEPARATOR: char = '\u{1f}';

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 信访部门
    PetitionBureau,
    /// 职能部门
    Department,
    /// 属地政府 (people's government of a territory)
    Government,
    /// 法院、检察院
    Judicial,
}

impl UnitKind {
    pub const ALL: [UnitKind; 4] = [
        UnitKind::PetitionBureau,
        UnitKind::Department,
        UnitKind::Government,
        UnitKind::Judicial,
    ];

    pub fn label(self) -> &'static str {
        match self {
            UnitKind::PetitionBureau => "信访部门",
            UnitKind::Department => "职能部门",
            UnitKind::Government => "属地政府",
            UnitKind::Judicial => "司法机关",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    pub region: RegionCode,
    pub parent: Option<UnitId>,
    /// First-level content domains this unit is competent for (used for routing suggestions).
    #[serde(default)]
    pub domains: Vec<String>,
}

/// A staff account: one unit, one or more roles (brief §2). Credentials are not part of it: they live
/// outside the event log, so that no password hash is kept forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub unit: UnitId,
    pub roles: Vec<Role>,
    pub active: bool,
}

impl User {
    /// The user acting for their unit with their roles.
    pub fn principal(&self) -> crate::workflow::Principal {
        crate::workflow::Principal {
            user: self.id.clone(),
            unit: self.unit.clone(),
            roles: self.roles.clone(),
        }
    }
}

/// The unit tree, region names and staff accounts, as projected from organisation events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Org {
    units: HashMap<UnitId, Unit>,
    regions: HashMap<RegionCode, Region>,
    users: HashMap<UserId, User>,
    /// Document templates an administrator set for a unit and the units below it.
    templates: HashMap<(UnitId, DocumentKind), Template>,
}

impl Org {
    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.units.get(id)
    }

    pub fn region(&self, code: &RegionCode) -> Option<&Region> {
        self.regions.get(code)
    }

    pub fn user(&self, id: &UserId) -> Option<&User> {
        self.users.get(id)
    }

    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    pub fn insert_user(&mut self, user: User) {
        self.users.insert(user.id.clone(), user);
    }

    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    pub fn insert_unit(&mut self, unit: Unit) {
        self.units.insert(unit.id.clone(), unit);
    }

    pub fn insert_region(&mut self, region: Region) {
        self.regions.insert(region.code.clone(), region);
    }

    /// The template `unit` issues `kind` from: the one set for it or the nearest unit above it, else the
    /// default.
    pub fn template(&self, unit: &UnitId, kind: DocumentKind) -> Template {
        self.template_source(unit, kind)
            .and_then(|source| self.templates.get(&(source, kind)).cloned())
            .unwrap_or_else(|| kind.default_template())
    }

    /// The unit whose template `unit` uses for `kind`, or `None` for the default.
    pub fn template_source(&self, unit: &UnitId, kind: DocumentKind) -> Option<UnitId> {
        self.chain_up(unit)
            .find(|u| self.templates.contains_key(&(u.id.clone(), kind)))
            .map(|u| u.id.clone())
    }

    /// Every template set, by unit and kind.
    pub fn templates(&self) -> impl Iterator<Item = (&UnitId, DocumentKind, &Template)> {
        self.templates.iter().map(|((u, k), t)| (u, *k, t))
    }

    pub fn insert_template(&mut self, unit: UnitId, kind: DocumentKind, template: Template) {
        self.templates.insert((unit, kind), template);
    }

    /// Whether `ancestor` is `unit` itself or one of the units above it.
    pub fn is_same_or_above(&self, ancestor: &UnitId, unit: &UnitId) -> bool {
        self.chain_up(unit).any(|u| &u.id == ancestor)
    }

    /// The units whose work counts in `unit`'s figures and reports: for a petition bureau, every unit of
    /// its region and the regions inside it (the governments and departments it assigns matters to, and
    /// the bureaus below); for any other unit, itself and the units below it.
    pub fn jurisdiction(&self, unit: &UnitId) -> std::collections::BTreeSet<UnitId> {
        let Some(top) = self.units.get(unit) else {
            return std::collections::BTreeSet::new();
        };
        let bureau = top.kind == UnitKind::PetitionBureau;
        self.units
            .values()
            .filter(|u| {
                if bureau {
                    u.region.is_within(&top.region)
                } else {
                    self.is_same_or_above(unit, &u.id)
                }
            })
            .map(|u| u.id.clone())
            .collect()
    }

    /// Whether `ancestor` lies strictly above `unit`.
    pub fn is_above(&self, ancestor: &UnitId, unit: &UnitId) -> bool {
        ancestor != unit && self.is_same_or_above(ancestor, unit)
    }

    /// The unit's path from the top of the organisation: ids each followed by U+001F (which no id holds),
    /// so that the units at or below `u` are exactly those whose path starts with `u`'s path.
    pub fn unit_path(&self, unit: &UnitId) -> String {
        let mut ids: Vec<&str> = self.chain_up(unit).map(|u| u.id.as_str()).collect();
        if ids.is_empty() {
            ids.push(unit.as_str());
        }
        ids.iter().rev().fold(String::new(), |mut path, id| {
            path.push_str(id);
            path.push(UNIT_PATH_SEPARATOR);
            path
        })
    }

    /// The unit and its ancestors, nearest first. Stops on a cycle rather than looping.
    pub fn chain_up<'a>(&'a self, unit: &UnitId) -> impl Iterator<Item = &'a Unit> + 'a {
        let mut next = self.units.get(unit);
        let mut steps = 0usize;
        let limit = self.units.len();
        std::iter::from_fn(move || {
            let current = next?;
            steps += 1;
            next = if steps > limit {
                None
            } else {
                current.parent.as_ref().and_then(|p| self.units.get(p))
            };
            Some(current)
        })
    }

    /// The petition bureau responsible for a unit: the unit itself if it is one, else the nearest bureau
    /// at or above its level.
    pub fn bureau_for(&self, unit: &UnitId) -> Option<&Unit> {
        let start = self.units.get(unit)?;
        if start.kind == UnitKind::PetitionBureau {
            return Some(start);
        }
        self.bureau_of_region(&start.region)
    }

    /// The petition bureau nearest to a place: the one of the smallest region that contains it. Online
    /// petitions about a place are received there. Ties go to the smallest id, so every process agrees.
    pub fn bureau_of_region(&self, region: &RegionCode) -> Option<&Unit> {
        self.units
            .values()
            .filter(|u| u.kind == UnitKind::PetitionBureau && region.is_within(&u.region))
            .max_by(|a, b| {
                let depth = |u: &Unit| u.region.as_str().trim_end_matches('0').len();
                depth(a).cmp(&depth(b)).then_with(|| b.id.cmp(&a.id))
            })
    }

    pub fn children<'a>(&'a self, parent: &'a UnitId) -> impl Iterator<Item = &'a Unit> + 'a {
        self.units
            .values()
            .filter(move |u| u.parent.as_ref() == Some(parent))
    }
}

/// Changes to the organisation. Only administrators make them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OrgCommand {
    DefineRegion(Region),
    CreateUnit(Unit),
    /// Rename a unit or change the first-level domains it is competent for.
    UpdateUnit {
        unit: UnitId,
        name: String,
        domains: Vec<String>,
    },
    CreateUser(User),
    SetUserRoles {
        user: UserId,
        roles: Vec<Role>,
    },
    SetUserActive {
        user: UserId,
        active: bool,
    },
    /// Record that a user's password was set. The hash itself travels beside the command (see the
    /// store's ledger), never in the event.
    SetPassword {
        user: UserId,
    },
    /// A unit's template for one kind of document, used by it and the units below it; `None` goes back to
    /// the template above it (or the default).
    SetTemplate {
        unit: UnitId,
        kind: DocumentKind,
        template: Option<Template>,
    },
}

impl Org {
    /// The events an organisation command causes, or why not.
    pub fn decide(
        &self,
        command: &OrgCommand,
        principal: &crate::workflow::Principal,
    ) -> Result<Vec<crate::event::EventBody>, crate::error::WorkflowError> {
        use crate::error::WorkflowError;
        use crate::event::EventBody;
        let own_password =
            matches!(command, OrgCommand::SetPassword { user } if *user == principal.user);
        if !principal.roles.contains(&Role::Admin) && !own_password {
            return Err(WorkflowError::MissingRole {
                action: "维护组织机构和用户",
                role: Role::Admin,
            });
        }
        let known_user = |id: &UserId| {
            self.users
                .get(id)
                .ok_or_else(|| WorkflowError::Org(format!("用户 {id} 不存在")))
        };
        match command {
            OrgCommand::DefineRegion(region) => {
                if region.name.trim().is_empty() {
                    return Err(WorkflowError::Invalid {
                        field: "name",
                        message: "行政区划名称不能为空".into(),
                    });
                }
                Ok(vec![EventBody::RegionDefined(region.clone())])
            }
            OrgCommand::CreateUnit(unit) => {
                if self.units.contains_key(&unit.id) {
                    return Err(WorkflowError::Org(format!("单位编号 {} 已存在", unit.id)));
                }
                if unit.name.trim().is_empty() {
                    return Err(WorkflowError::Invalid {
                        field: "name",
                        message: "单位名称不能为空".into(),
                    });
                }
                if let Some(parent) = &unit.parent
                    && !self.units.contains_key(parent)
                {
                    return Err(WorkflowError::UnknownUnit(parent.clone()));
                }
                check_domains(&unit.domains)?;
                Ok(vec![EventBody::UnitCreated(unit.clone())])
            }
            OrgCommand::UpdateUnit {
                unit,
                name,
                domains,
            } => {
                let current = self
                    .units
                    .get(unit)
                    .ok_or_else(|| WorkflowError::UnknownUnit(unit.clone()))?;
                let name = name.trim();
                if name.is_empty() {
                    return Err(WorkflowError::Invalid {
                        field: "name",
                        message: "单位名称不能为空".into(),
                    });
                }
                check_domains(domains)?;
                if current.name == name && &current.domains == domains {
                    return Ok(vec![]);
                }
                Ok(vec![EventBody::UnitUpdated {
                    unit: unit.clone(),
                    name: name.to_owned(),
                    domains: domains.clone(),
                }])
            }
            OrgCommand::CreateUser(user) => {
                if self.users.contains_key(&user.id) {
                    return Err(WorkflowError::Org(format!("用户名 {} 已存在", user.id)));
                }
                if user.name.trim().is_empty() {
                    return Err(WorkflowError::Invalid {
                        field: "name",
                        message: "用户姓名不能为空".into(),
                    });
                }
                if !self.units.contains_key(&user.unit) {
                    return Err(WorkflowError::UnknownUnit(user.unit.clone()));
                }
                check_staff_roles(&user.roles)?;
                Ok(vec![EventBody::UserCreated(user.clone())])
            }
            OrgCommand::SetUserRoles { user, roles } => {
                known_user(user)?;
                check_staff_roles(roles)?;
                Ok(vec![EventBody::UserRolesSet {
                    user: user.clone(),
                    roles: roles.clone(),
                }])
            }
            OrgCommand::SetUserActive { user, active } => {
                if known_user(user)?.active == *active {
                    return Err(WorkflowError::AlreadyDone(if *active {
                        "该用户已是启用状态"
                    } else {
                        "该用户已停用"
                    }));
                }
                Ok(vec![EventBody::UserActiveSet {
                    user: user.clone(),
                    active: *active,
                }])
            }
            OrgCommand::SetTemplate {
                unit,
                kind,
                template,
            } => {
                if !self.units.contains_key(unit) {
                    return Err(WorkflowError::UnknownUnit(unit.clone()));
                }
                match template {
                    Some(t) => t.check(*kind)?,
                    None if !self.templates.contains_key(&(unit.clone(), *kind)) => {
                        return Err(WorkflowError::AlreadyDone("该单位没有自定义此类文书模板"));
                    }
                    None => {}
                }
                Ok(vec![EventBody::TemplateSet {
                    unit: unit.clone(),
                    kind: *kind,
                    template: template.clone(),
                }])
            }
            OrgCommand::SetPassword { user } => {
                if !known_user(user)?.active {
                    return Err(WorkflowError::Org(format!("用户 {user} 已停用")));
                }
                Ok(vec![EventBody::PasswordSet {
                    user: user.clone(),
                    by_admin: *user != principal.user,
                }])
            }
        }
    }

    /// Fold an organisation event; other events leave the organisation as it is.
    pub fn apply(&mut self, body: &crate::event::EventBody) {
        use crate::event::EventBody;
        match body {
            EventBody::RegionDefined(r) => self.insert_region(r.clone()),
            EventBody::UnitCreated(u) => self.insert_unit(u.clone()),
            EventBody::UnitUpdated {
                unit,
                name,
                domains,
            } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.name = name.clone();
                    u.domains = domains.clone();
                }
            }
            EventBody::UserCreated(u) => self.insert_user(u.clone()),
            EventBody::UserRolesSet { user, roles } => {
                if let Some(u) = self.users.get_mut(user) {
                    u.roles = roles.clone();
                }
            }
            EventBody::UserActiveSet { user, active } => {
                if let Some(u) = self.users.get_mut(user) {
                    u.active = *active;
                }
            }
            EventBody::TemplateSet {
                unit,
                kind,
                template,
            } => match template {
                Some(t) => self.insert_template(unit.clone(), *kind, t.clone()),
                None => {
                    self.templates.remove(&(unit.clone(), *kind));
                }
            },
            _ => {}
        }
    }
}

/// Staff accounts carry at least one role, and never the petitioner's (petitioners have their own accounts).
fn check_staff_roles(roles: &[Role]) -> Result<(), crate::error::WorkflowError> {
    if roles.is_empty() || roles.contains(&Role::Petitioner) {
        return Err(crate::error::WorkflowError::Invalid {
            field: "roles",
            message: "工作人员账号至少需要一个角色，且不能是「信访人」".into(),
        });
    }
    Ok(())
}

/// A routing rule names each domain once, by a non-empty name. Whether the names are in the domain
/// tree is checked where the tree is known (the API), since the tree is configuration.
fn check_domains(domains: &[String]) -> Result<(), crate::error::WorkflowError> {
    let mut seen = std::collections::BTreeSet::new();
    for d in domains {
        if d.trim().is_empty() || d.trim() != d || !seen.insert(d) {
            return Err(crate::error::WorkflowError::Invalid {
                field: "domains",
                message: format!("主管领域「{d}」为空、含首尾空格或重复"),
            });
        }
    }
    Ok(())
}

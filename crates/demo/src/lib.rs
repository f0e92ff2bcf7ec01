//! Demo data for xinfang: a made-up city with its units, and a year of petitions whose every step is a
//! workflow command, in time order, so the demo exercises the same rules as real use.
//!
//! Everything is deterministic given the seed and the last day.

pub mod city;
pub mod people;
pub mod texts;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xinfang_domain::catalog::{
    Channel, DomainPath, DomainTree, EvaluationTarget, LegalRoute, Outcome, Purpose, Rating,
};
use xinfang_domain::ids::{
    ContactId, IdNumber, Level, MatterId, OrderId, Phone, RegionCode, UnitId, UserId,
};
use xinfang_domain::org::{OrgCommand, Region, Unit, UnitKind};
use xinfang_domain::petition::{
    ContactDraft, ContactRelation, DeclaredFlags, Location, Petitioner, Target,
};
use xinfang_domain::workflow::{Filing, ReviewDecision, Triage};
use xinfang_domain::{Change, Command, Principal, Role};

use crate::city::{City, UnitSpec};
use crate::texts::{PetitionText, Topic};

/// One command with who gives it and when.
#[derive(Debug, Clone)]
pub struct Step {
    pub principal: Principal,
    pub at: DateTime<Utc>,
    pub change: Change,
}

/// The organisation administrator who sets up the demo city.
pub fn admin() -> Principal {
    Principal {
        user: UserId::parse("admin").expect("valid"),
        unit: UnitId::parse("system").expect("valid"),
        roles: vec![Role::Admin],
    }
}

/// The domain tree the demo's texts use: the default tree of the brief, with the second levels of the
/// demo texts added where the brief names none.
pub fn domain_tree() -> DomainTree {
    let mut tree = DomainTree::default();
    for node in &mut tree.domains {
        for sub in texts::subdomains(&node.name) {
            if !node.children.iter().any(|c| c == sub) {
                node.children.push((*sub).to_owned());
            }
        }
    }
    tree
}

fn unit_kind(kind: city::UnitKind) -> UnitKind {
    match kind {
        city::UnitKind::PetitionBureau => UnitKind::PetitionBureau,
        city::UnitKind::Department => UnitKind::Department,
        city::UnitKind::Government => UnitKind::Government,
        city::UnitKind::Court => UnitKind::Judicial,
    }
}

fn level(level: city::Level) -> Level {
    match level {
        city::Level::Province => Level::Province,
        city::Level::City => Level::City,
        city::Level::County => Level::County,
        city::Level::Township => Level::Township,
    }
}

fn uid(s: &str) -> UnitId {
    UnitId::parse(s).expect("demo unit keys are valid ids")
}

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("demo region codes are valid")
}

fn principal(unit: &str, role: Role) -> Principal {
    let name = match role {
        Role::Registrar => "dengji",
        Role::Dispatcher => "fenliu",
        Role::Handler => "chengban",
        Role::Supervisor => "ducha",
        Role::Leader => "lingdao",
        _ => "staff",
    };
    Principal {
        user: UserId::parse(&format!("{unit}-{name}")).expect("valid"),
        unit: uid(unit),
        roles: vec![role],
    }
}

fn petitioner_principal(bureau: &str) -> Principal {
    Principal {
        user: UserId::parse("portal").expect("valid"),
        unit: uid(bureau),
        roles: vec![Role::Petitioner],
    }
}

/// Beijing time 8:00 is 0:00 UTC.
fn at(day: NaiveDate, minute_of_day: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).expect("midnight")
        + chrono::Duration::minutes(i64::from(minute_of_day));
    Utc.from_utc_datetime(&naive) - chrono::Duration::hours(8)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    RegisterRepeat,
    RegisterCopy,
    Triage,
    Return,
    Accept,
    Decline,
    RequestExtension,
    DecideExtension,
    Answer,
    Evaluate(u8),
    RequestReview,
    AnswerReview,
    Resolve,
    Supervise,
    CloseSupervision,
    AssignLeader,
}

/// What the simulation knows of one matter.
struct Plan {
    id: MatterId,
    topic: Topic,
    text: PetitionText,
    bureau: String,
    handler: Option<String>,
    authority: Option<String>,
    stage: u8,
    people: Vec<Petitioner>,
    person_count: u32,
    district: usize,
    received: DateTime<Utc>,
    accepted: Option<NaiveDate>,
    answered: Option<NaiveDate>,
    orders: u32,
}

/// A future action: when, a tie-breaker keeping insertion order, which matter, what.
type Scheduled = (DateTime<Utc>, u64, usize, Action);

/// A planted cluster (热点): several matters about one problem in one place within a few weeks, each
/// written afresh (other petitioners, other wording and lengths), some of them collective visits.
struct Cluster {
    topic: Topic,
    /// Chance that a member comes as a collective visit.
    collective: f64,
    /// Chance that a member was also taken to Beijing (进京).
    national: f64,
    /// The matters planted so far: the demo's own bookkeeping, never written to the product data.
    members: Vec<MatterId>,
}

/// The year of petitions, produced in time order, a batch at a time.
pub struct Simulation {
    rng: ChaCha8Rng,
    city: City,
    units: Vec<UnitSpec>,
    tree: DomainTree,
    registrations: Vec<DateTime<Utc>>,
    next_registration: usize,
    queue: BinaryHeap<Reverse<Scheduled>>,
    tie: u64,
    plans: Vec<Plan>,
    clusters: Vec<Cluster>,
    /// For each registration, the planted cluster it belongs to.
    planted_at: Vec<Option<u32>>,
    contact_seq: u64,
    end: DateTime<Utc>,
    setup_done: bool,
}

const DOMAIN_WEIGHTS: [(&str, u32); 17] = [
    ("城乡建设", 24),
    ("自然资源", 8),
    ("劳动和社会保障", 14),
    ("农业农村", 6),
    ("集资融资", 4),
    ("涉法涉诉", 9),
    ("生态环境", 6),
    ("交通运输", 4),
    ("教育", 5),
    ("卫生健康", 4),
    ("民政", 4),
    ("退役军人事务", 2),
    ("企业改制", 2),
    ("商贸旅游", 3),
    ("纪检监察", 2),
    ("组织人事", 1),
    ("其他", 2),
];

fn pick_weighted<'a, T>(rng: &mut impl Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// How busy a day is: wage claims before the Spring Festival, a quiet festival week, fewer desk
/// contacts at weekends.
fn day_weight(day: NaiveDate) -> f64 {
    let month = match day.month() {
        1 => 1.35,
        2 => 0.7,
        3 => 1.15,
        12 => 1.25,
        7 | 8 => 0.9,
        _ => 1.0,
    };
    let weekday = match day.weekday() {
        Weekday::Sat | Weekday::Sun => 0.35,
        Weekday::Mon => 1.2,
        _ => 1.0,
    };
    month * weekday
}

/// Domains of planted problems: the kinds that bring many people about one thing (an estate's lift or
/// property certificates, a factory's unpaid wages, a fund that stopped paying, a land requisition, a
/// polluting plant, a school's fees, a village's contract land).
const CLUSTER_DOMAINS: [&str; 7] = [
    "城乡建设",
    "劳动和社会保障",
    "集资融资",
    "自然资源",
    "生态环境",
    "教育",
    "农业农村",
];

/// Choose the planted clusters and which registrations belong to them: about one cluster per 150
/// matters (4 to 200), each of 5 to 40 matters spread over 5 to 30 days, taking registrations that fall
/// in its days (other registrations of those days stay background).
fn plant_clusters(
    rng: &mut ChaCha8Rng,
    city: &City,
    registrations: &[DateTime<Utc>],
    first: NaiveDate,
) -> (Vec<Cluster>, Vec<Option<u32>>) {
    let mut planted_at = vec![None; registrations.len()];
    let mut clusters = Vec::new();
    let count = (registrations.len() / 150).clamp(4, 200);
    for _ in 0..count {
        let domain = *CLUSTER_DOMAINS.choose(rng).expect("non-empty");
        let topic = texts::topic(rng, city, domain);
        let start = at(first + Days::new(rng.random_range(0..340)), 0);
        let end = start + chrono::Duration::days(rng.random_range(5..=30));
        let lo = registrations.partition_point(|r| *r < start);
        let hi = registrations.partition_point(|r| *r < end);
        let mut free: Vec<usize> = (lo..hi).filter(|i| planted_at[*i].is_none()).collect();
        let wanted = if rng.random_bool(0.25) {
            rng.random_range(15..=40)
        } else {
            rng.random_range(5..=14)
        };
        // A cluster takes at most half of its days' registrations: the background goes on around it.
        let size = wanted.min(free.len() / 2);
        if size < 5 {
            continue;
        }
        let (chosen, _) = free.partial_shuffle(rng, size);
        let id = u32::try_from(clusters.len()).expect("few clusters");
        for i in chosen.iter() {
            planted_at[*i] = Some(id);
        }
        clusters.push(Cluster {
            topic,
            collective: *[0.0, 0.0, 0.15, 0.4].choose(rng).expect("non-empty"),
            national: *[0.0, 0.0, 0.05, 0.2].choose(rng).expect("non-empty"),
            members: Vec::new(),
        });
    }
    (clusters, planted_at)
}

/// The planted clusters of the demo made from `seed`, `matters` and `until`, as `xinfang demo` makes
/// it: the ground truth for evaluating hot spots, recomputed by running the simulation again (nothing
/// in the product data says which matters were planted together).
pub fn planted_clusters(seed: u64, matters: u32, until: NaiveDate) -> Vec<Vec<MatterId>> {
    let mut sim = Simulation::new(seed, matters, until);
    while !sim.next_batch(50_000).is_empty() {}
    sim.planted()
}

impl Simulation {
    pub fn new(seed: u64, matters: u32, until: NaiveDate) -> Self {
        Self::in_city_for(seed, matters, matters, until)
    }

    /// `matters` registrations in the city `new` would make for `city_matters`: for histories of
    /// several years in one city, whose years have different numbers of matters.
    pub fn in_city_for(seed: u64, matters: u32, city_matters: u32, until: NaiveDate) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // A city receiving more petitions is a larger city: more estates, companies, villages.
        let city = city::generate_city_sized(&mut rng, city::Size::for_matters(city_matters));
        let units = city::units(&city);
        let first = until - Days::new(364);
        let days: Vec<NaiveDate> = first.iter_days().take(365).collect();
        let weights: Vec<f64> = days.iter().map(|d| day_weight(*d)).collect();
        let total: f64 = weights.iter().sum();
        // Largest-remainder apportionment: exactly `matters` registrations.
        let mut counts: Vec<(u32, f64, usize)> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let exact = f64::from(matters) * w / total;
                (exact.floor() as u32, exact - exact.floor(), i)
            })
            .collect();
        let assigned: u32 = counts.iter().map(|c| c.0).sum();
        let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
        by_remainder.sort_by(|a, b| counts[*b].1.total_cmp(&counts[*a].1).then(a.cmp(b)));
        for i in by_remainder.into_iter().take((matters - assigned) as usize) {
            counts[i].0 += 1;
        }
        let mut registrations = Vec::with_capacity(matters as usize);
        for (n, _, i) in &counts {
            let mut minutes: Vec<u32> = (0..*n).map(|_| rng.random_range(30..(10 * 60))).collect();
            minutes.sort_unstable();
            registrations.extend(minutes.into_iter().map(|m| at(days[*i], m)));
        }
        let tree = domain_tree();
        let (clusters, planted_at) = plant_clusters(&mut rng, &city, &registrations, first);
        Self {
            rng,
            city,
            units,
            tree,
            registrations,
            next_registration: 0,
            queue: BinaryHeap::new(),
            tie: 0,
            plans: Vec::with_capacity(matters as usize),
            clusters,
            planted_at,
            contact_seq: 0,
            end: at(until + Days::new(1), 0),
            setup_done: false,
        }
    }

    /// Let the matters registered in the year go on being handled for `days` after it (registrations
    /// still end with the year): for histories of several years, each year's matters run their course.
    pub fn with_tail(mut self, days: u64) -> Self {
        self.end += chrono::Duration::days(days as i64);
        self
    }

    /// The matters planted together so far, one list per cluster (in registration order). The demo's
    /// own bookkeeping: use it to evaluate hot spots, never as a feature.
    pub fn planted(&self) -> Vec<Vec<MatterId>> {
        self.clusters
            .iter()
            .filter(|c| !c.members.is_empty())
            .map(|c| c.members.clone())
            .collect()
    }

    /// The city's petition bureau, where the demo's administrator works.
    pub fn city_bureau(&self) -> String {
        self.units
            .iter()
            .find(|u| u.region_code == self.city.code && u.kind == city::UnitKind::PetitionBureau)
            .map(|u| u.key.clone())
            .expect("the city has a petition bureau")
    }

    pub fn city(&self) -> &City {
        &self.city
    }

    /// The regions and units of the city, for an administrator to create first.
    fn setup(&self) -> Vec<Step> {
        let when = at(
            self.registrations
                .first()
                .map_or_else(|| self.end.date_naive(), |r| r.date_naive() - Days::new(30)),
            60,
        );
        let admin = admin();
        let mut steps = Vec::new();
        let mut define = |code: &str, name: String| {
            steps.push(Step {
                principal: admin.clone(),
                at: when,
                change: Change::Org(OrgCommand::DefineRegion(Region {
                    code: region(code),
                    name,
                })),
            });
        };
        define(&self.city.province_code, self.city.province_name.clone());
        define(&self.city.code, self.city.name.clone());
        for d in &self.city.districts {
            define(&d.code, d.name.clone());
            for s in &d.streets {
                define(&s.code, s.name.clone());
                for c in &s.communities {
                    define(&c.code, c.name.clone());
                }
            }
        }
        for u in &self.units {
            steps.push(Step {
                principal: admin.clone(),
                at: when,
                change: Change::Org(OrgCommand::CreateUnit(Unit {
                    id: uid(&u.key),
                    name: u.name.clone(),
                    kind: unit_kind(u.kind),
                    level: level(u.level),
                    region: region(&u.region_code),
                    parent: u.parent_key.as_deref().map(uid),
                    domains: u.domains.iter().map(|d| (*d).to_owned()).collect(),
                })),
            });
        }
        steps
    }

    /// The next steps in time order, at most `max`; empty when the year is done.
    pub fn next_batch(&mut self, max: usize) -> Vec<Step> {
        if !self.setup_done {
            self.setup_done = true;
            return self.setup();
        }
        let mut out = Vec::with_capacity(max);
        while out.len() < max {
            let next_reg = self.registrations.get(self.next_registration).copied();
            let next_action = self.queue.peek().map(|Reverse((t, ..))| *t);
            let step = match (next_reg, next_action) {
                (Some(r), a) if a.is_none_or(|a| r <= a) => {
                    let planted = self.planted_at[self.next_registration];
                    self.next_registration += 1;
                    self.register_new(r, planted.map(|c| c as usize))
                }
                (_, Some(a)) if a < self.end => {
                    let Reverse((_, _, idx, action)) = self.queue.pop().expect("peeked");
                    self.act(idx, action, a)
                }
                _ => break,
            };
            out.extend(step);
        }
        out
    }

    fn schedule(&mut self, idx: usize, when: DateTime<Utc>, action: Action) {
        self.tie += 1;
        self.queue.push(Reverse((when, self.tie, idx, action)));
    }

    /// A time some days (drawn from `days`) after `from` during office hours (Beijing), at least an hour later.
    fn later(
        &mut self,
        from: DateTime<Utc>,
        days: impl rand::distr::uniform::SampleRange<u64>,
    ) -> DateTime<Utc> {
        let days = self.rng.random_range(days);
        let day = (from + chrono::Duration::hours(8)).date_naive() + Days::new(days);
        let candidate = at(day, self.rng.random_range(60..(9 * 60)));
        candidate.max(from + chrono::Duration::hours(1))
    }

    fn unit(&self, key: &str) -> &UnitSpec {
        self.units
            .iter()
            .find(|u| u.key == key)
            .expect("known unit")
    }

    fn bureau_of_district(&self, district: usize) -> String {
        let code = &self.city.districts[district].code;
        self.units
            .iter()
            .find(|u| &u.region_code == code && u.kind == city::UnitKind::PetitionBureau)
            .map(|u| u.key.clone())
            .expect("every district has a petition bureau")
    }

    fn competent_unit(&mut self, domain: &str, district: usize, city_level: bool) -> String {
        let code = if city_level {
            self.city.code.clone()
        } else {
            self.city.districts[district].code.clone()
        };
        let candidates: Vec<&UnitSpec> = self
            .units
            .iter()
            .filter(|u| u.region_code == code && u.domains.contains(&domain))
            .collect();
        match candidates.choose(&mut self.rng) {
            Some(u) => u.key.clone(),
            None if !city_level => self.competent_unit(domain, district, true),
            None => self
                .units
                .iter()
                .find(|u| u.region_code == code && u.kind == city::UnitKind::Government)
                .map(|u| u.key.clone())
                .expect("a government at every level"),
        }
    }

    fn next_contact_id(&mut self) -> ContactId {
        self.contact_seq += 1;
        ContactId::parse(&format!("C{:08}", self.contact_seq)).expect("valid")
    }

    fn petitioner(&mut self, district: usize) -> Petitioner {
        let street = self
            .rng
            .random_range(0..self.city.districts[district].streets.len());
        let community = self.rng.random_range(
            0..self.city.districts[district].streets[street]
                .communities
                .len(),
        );
        let p = people::person_at(&mut self.rng, &self.city, district, street, community);
        Petitioner {
            name: p.name,
            id_number: IdNumber::parse(&p.id_number).ok(),
            phone: Phone::parse(&p.phone).ok(),
            address: p.address,
        }
    }

    fn domain_path(&self, topic: &Topic) -> DomainPath {
        let path = DomainPath::new(topic.domain, Some(topic.subdomain));
        if self.tree.contains(&path) {
            path
        } else {
            DomainPath::new(topic.domain, None)
        }
    }

    fn draft(
        &mut self,
        idx: usize,
        received: DateTime<Utc>,
        text: &PetitionText,
        channel: Channel,
    ) -> ContactDraft {
        let p = &self.plans[idx];
        let t = &p.topic;
        let street = &self.city.districts[t.district].streets[t.street];
        let community = &street.communities[t.community];
        let purpose = match t.purpose {
            texts::Purpose::Suggestion => Purpose::Suggestion,
            texts::Purpose::Accusation => Purpose::Accusation,
            texts::Purpose::Demand => Purpose::Demand,
            texts::Purpose::Enquiry => Purpose::Enquiry,
        };
        let anonymous = purpose == Purpose::Accusation && p.people.is_empty();
        ContactDraft {
            id: ContactId::parse("pending").expect("valid"),
            channel,
            received_at: received,
            petitioners: if anonymous {
                Vec::new()
            } else {
                p.people.clone()
            },
            person_count: p.person_count,
            location: Location {
                region: region(&community.code),
                address: format!(
                    "{}{}{}",
                    self.city.districts[t.district].name, street.name, community.name
                ),
            },
            target: t.target.as_ref().map(|name| Target {
                name: name.clone(),
                unit: None,
            }),
            purpose,
            domain: self.domain_path(t),
            summary: text.summary.clone(),
            full_text: text.full_text.clone(),
            demands: text.demands.clone(),
            attachments: Vec::new(),
            flags: DeclaredFlags {
                consent_publication: self.rng.random_bool(0.2),
                urgent: self.rng.random_bool(0.01),
                ..DeclaredFlags::default()
            },
        }
    }

    fn register_new(&mut self, received: DateTime<Utc>, cluster: Option<usize>) -> Option<Step> {
        let idx = self.plans.len();
        let day = (received + chrono::Duration::hours(8)).date_naive();
        let topic = match cluster {
            Some(c) => self.clusters[c].topic.clone(),
            None => {
                let domain = *pick_weighted(&mut self.rng, &DOMAIN_WEIGHTS);
                texts::topic(&mut self.rng, &self.city, domain)
            }
        };
        let district = topic.district;
        let crowd = cluster.is_some_and(|c| {
            let chance = self.clusters[c].collective;
            self.rng.random_bool(chance)
        });
        let channel = if crowd {
            Channel::Visit
        } else {
            *pick_weighted(
                &mut self.rng,
                &[
                    (Channel::Online, 42),
                    (Channel::Letter, 14),
                    (Channel::Visit, 22),
                    (Channel::Phone, 9),
                    (Channel::Hotline, 8),
                    (Channel::Mailbox, 4),
                    (Channel::Fax, 1),
                ],
            )
        };
        let collective = crowd || (channel == Channel::Visit && self.rng.random_bool(0.05));
        let (person_count, named) = if collective {
            (self.rng.random_range(5..40), self.rng.random_range(1..=5))
        } else {
            let n = if self.rng.random_bool(0.1) {
                self.rng.random_range(2..4)
            } else {
                1
            };
            (n, n)
        };
        let anonymous = topic.purpose == texts::Purpose::Accusation && self.rng.random_bool(0.3);
        let people: Vec<Petitioner> = if anonymous {
            Vec::new()
        } else {
            (0..named).map(|_| self.petitioner(district)).collect()
        };
        let signer = people.first().map_or(String::new(), |p| p.name.clone());
        let text = texts::petition(&mut self.rng, &self.city, &topic, &signer);
        let bureau = match self.rng.random_range(0..100) {
            0..70 => self.bureau_of_district(district),
            70..97 => self
                .units
                .iter()
                .find(|u| {
                    u.region_code == self.city.code && u.kind == city::UnitKind::PetitionBureau
                })
                .expect("city bureau")
                .key
                .clone(),
            _ => self
                .units
                .iter()
                .find(|u| {
                    u.region_code == self.city.province_code
                        && u.kind == city::UnitKind::PetitionBureau
                })
                .expect("province bureau")
                .key
                .clone(),
        };
        let year = day.year();
        let id = MatterId::parse(&format!("XF{year}{:07}", idx + 1)).expect("valid");
        self.plans.push(Plan {
            id: id.clone(),
            topic,
            text: text.clone(),
            bureau: bureau.clone(),
            handler: None,
            authority: None,
            stage: 0,
            people,
            person_count,
            district,
            received,
            accepted: None,
            answered: None,
            orders: 0,
        });
        let mut draft = self.draft(idx, received, &text, channel);
        draft.id = self.next_contact_id();
        let province_level = self.unit(&bureau).level == city::Level::Province;
        draft.flags.provincial = province_level;
        draft.flags.skip_level = province_level || self.rng.random_bool(0.03);
        let national = cluster.map_or(0.01, |c| self.clusters[c].national);
        draft.flags.national = self.rng.random_bool(national);
        if let Some(c) = cluster {
            self.clusters[c].members.push(id.clone());
        }
        draft.flags.joint = channel == Channel::Letter && named > 1;

        // The rest of this matter's life.
        let triage_in = if self.rng.random_bool(0.04) {
            self.rng.random_range(16..25)
        } else {
            self.rng.random_range(0..10)
        };
        let when = self.later(received, triage_in..=triage_in);
        self.schedule(idx, when, Action::Triage);
        if self.rng.random_bool(0.08) {
            let when = self.later(received, 20..200);
            self.schedule(idx, when, Action::RegisterRepeat);
        }
        if self.rng.random_bool(0.03) {
            let when = self.later(received, 1..5);
            self.schedule(idx, when, Action::RegisterCopy);
        }
        let registrar = match channel {
            Channel::Online | Channel::Mailbox => petitioner_principal(&bureau),
            _ => principal(&bureau, Role::Registrar),
        };
        let registered_at =
            received.max(received + chrono::Duration::minutes(self.rng.random_range(0..30)));
        Some(Step {
            principal: registrar,
            at: registered_at,
            change: Change::Matter(Command::Register {
                filing: Filing::NewMatter { matter: id },
                contact: Box::new(draft),
            }),
        })
    }

    fn act(&mut self, idx: usize, action: Action, now: DateTime<Utc>) -> Option<Step> {
        let today = (now + chrono::Duration::hours(8)).date_naive();
        let id = self.plans[idx].id.clone();
        let bureau = self.plans[idx].bureau.clone();
        let purpose = self.plans[idx].topic.purpose;
        let step = |principal: Principal, command: Command| Step {
            principal,
            at: now,
            change: Change::Matter(command),
        };
        match action {
            Action::RegisterRepeat | Action::RegisterCopy => {
                let repeat = action == Action::RegisterRepeat;
                let (text, unit, relation, channel) = if repeat {
                    let months = ((now - self.plans[idx].received).num_days() / 30).max(1) as u32;
                    let signer = self.plans[idx]
                        .people
                        .first()
                        .map_or(String::new(), |p| p.name.clone());
                    let earlier = self.plans[idx].text.clone();
                    let topic = self.plans[idx].topic.clone();
                    let text = texts::repeat_petition(
                        &mut self.rng,
                        &self.city,
                        &topic,
                        &signer,
                        &earlier,
                        months,
                    );
                    let channel = *[
                        Channel::Visit,
                        Channel::Online,
                        Channel::Letter,
                        Channel::Phone,
                    ]
                    .choose(&mut self.rng)
                    .expect("non-empty");
                    (text, bureau.clone(), ContactRelation::Repeat, channel)
                } else {
                    let other = if self.unit(&bureau).level == city::Level::County {
                        self.units
                            .iter()
                            .find(|u| {
                                u.region_code == self.city.code
                                    && u.kind == city::UnitKind::PetitionBureau
                            })
                            .expect("city bureau")
                            .key
                            .clone()
                    } else {
                        self.bureau_of_district(self.plans[idx].district)
                    };
                    let office = self.unit(&other).name.clone();
                    let text = texts::copy_to_office(&mut self.rng, &self.plans[idx].text, &office);
                    (
                        text,
                        other,
                        ContactRelation::MultiSubmission,
                        Channel::Letter,
                    )
                };
                let mut draft = self.draft(idx, now, &text, channel);
                draft.id = self.next_contact_id();
                if repeat && channel == Channel::Visit && self.rng.random_bool(0.2) {
                    draft.flags.skip_level = true;
                }
                let registrar = if channel == Channel::Online {
                    petitioner_principal(&unit)
                } else {
                    principal(&unit, Role::Registrar)
                };
                Some(step(
                    registrar,
                    Command::Register {
                        filing: Filing::Existing {
                            matter: id,
                            relation,
                        },
                        contact: Box::new(draft),
                    },
                ))
            }
            Action::Triage => {
                let domain = self.plans[idx].topic.domain;
                let district = self.plans[idx].district;
                let city_level = self.unit(&bureau).level != city::Level::County;
                let roll = self.rng.random_range(0..100);
                let triage = match roll {
                    0..4 => Triage::Reject { reason: "该事项已经依法处理终结，不再重复受理".into() },
                    4..10 if purpose == texts::Purpose::Demand => Triage::RedirectToLegal {
                        route: *[LegalRoute::Litigation, LegalRoute::Arbitration, LegalRoute::AdministrativeReconsideration].choose(&mut self.rng).expect("non-empty"),
                        reason: "该诉求属于依法应当通过诉讼、仲裁或行政复议解决的事项，请依法向有关机关提出".into(),
                    },
                    10..18 => Triage::AcceptDirectly,
                    _ => {
                        let at_city = city_level && self.rng.random_bool(0.6);
                        let to = self.competent_unit(domain, district, at_city);
                        let co_handlers = if self.rng.random_bool(0.05) {
                            let street = self.units.iter().filter(|u| u.level == city::Level::Township && u.region_code.starts_with(&self.city.districts[district].code)).map(|u| uid(&u.key)).next();
                            street.into_iter().collect()
                        } else {
                            Vec::new()
                        };
                        self.plans[idx].handler = Some(to.clone());
                        if roll < 35 {
                            Triage::Assign { to: uid(&to), co_handlers, report_back_days: Some(self.rng.random_range(30..61)) }
                        } else {
                            Triage::Transfer { to: uid(&to), co_handlers }
                        }
                    }
                };
                match &triage {
                    Triage::Transfer { .. } | Triage::Assign { .. } => {
                        let next = if self.rng.random_bool(0.03) {
                            Action::Return
                        } else if self.rng.random_bool(0.02) {
                            Action::Decline
                        } else {
                            Action::Accept
                        };
                        let days = if next == Action::Return {
                            self.rng.random_range(1..4)
                        } else if self.rng.random_bool(0.05) {
                            self.rng.random_range(16..22)
                        } else {
                            self.rng.random_range(0..8)
                        };
                        let when = self.later(now, days..=days);
                        self.schedule(idx, when, next);
                    }
                    Triage::AcceptDirectly => {
                        self.plans[idx].handler = Some(bureau.clone());
                        self.plans[idx].accepted = Some(today);
                        self.schedule_handling(idx, now);
                    }
                    _ => {}
                }
                Some(step(
                    principal(&bureau, Role::Dispatcher),
                    Command::Triage { matter: id, triage },
                ))
            }
            Action::Return => {
                let handler = self.plans[idx].handler.take().expect("transferred");
                let when = self.later(now, 0..5);
                self.schedule(idx, when, Action::Triage);
                Some(step(
                    principal(&handler, Role::Handler),
                    Command::ReturnToBureau {
                        matter: id,
                        reason: "该事项不属于本单位职责范围，请重新分流".into(),
                    },
                ))
            }
            Action::Decline => {
                let handler = self.plans[idx].handler.clone().expect("transferred");
                Some(step(
                    principal(&handler, Role::Handler),
                    Command::DeclineAcceptance {
                        matter: id,
                        reason: "信访人已就该事项提起诉讼，依法不予受理".into(),
                    },
                ))
            }
            Action::Accept => {
                let handler = self.plans[idx].handler.clone().expect("transferred");
                self.plans[idx].accepted = Some(today);
                self.schedule_handling(idx, now);
                Some(step(
                    principal(&handler, Role::Handler),
                    Command::Accept { matter: id },
                ))
            }
            Action::RequestExtension => {
                let handler = self.plans[idx].handler.clone().expect("accepted");
                let when = self.later(now, 1..4);
                self.schedule(idx, when, Action::DecideExtension);
                Some(step(
                    principal(&handler, Role::Handler),
                    Command::RequestExtension {
                        matter: id,
                        days: self.rng.random_range(15..=30),
                        reason: "案情复杂，需进一步调查核实并协调相关单位".into(),
                    },
                ))
            }
            Action::DecideExtension => {
                let handler = self.plans[idx].handler.clone().expect("accepted");
                let approve = self.rng.random_bool(0.9);
                Some(step(
                    principal(&handler, Role::Leader),
                    Command::DecideExtension {
                        matter: id,
                        approve,
                        note: if approve {
                            "同意延期".into()
                        } else {
                            "不同意延期，请按期办结".into()
                        },
                    },
                ))
            }
            Action::Answer => {
                let handler = self.plans[idx].handler.clone().expect("accepted");
                self.plans[idx].answered = Some(today);
                let outcome = match purpose {
                    texts::Purpose::Demand => *pick_weighted(
                        &mut self.rng,
                        &[
                            (Outcome::Supported, 35),
                            (Outcome::PartlySupported, 35),
                            (Outcome::NotSupported, 30),
                        ],
                    ),
                    texts::Purpose::Suggestion => *pick_weighted(
                        &mut self.rng,
                        &[(Outcome::Adopted, 40), (Outcome::NotAdopted, 60)],
                    ),
                    texts::Purpose::Accusation => *pick_weighted(
                        &mut self.rng,
                        &[
                            (Outcome::Substantiated, 25),
                            (Outcome::PartlySubstantiated, 25),
                            (Outcome::Unsubstantiated, 50),
                        ],
                    ),
                    texts::Purpose::Enquiry => Outcome::Explained,
                };
                let rated = self.rng.random_bool(0.78);
                if rated {
                    let first = self.rng.random_range(1..20);
                    let when = self.later(now, first..=first);
                    self.schedule(idx, when, Action::Evaluate(0));
                    let when = self.later(now, first..first + 5);
                    self.schedule(idx, when, Action::Evaluate(1));
                }
                if purpose == texts::Purpose::Demand && self.rng.random_bool(0.05) {
                    let when = self.later(now, 22..29);
                    self.schedule(idx, when, Action::RequestReview);
                }
                if self.rng.random_bool(0.7) {
                    let when = self.later(now, 0..60);
                    self.schedule(idx, when, Action::Resolve);
                }
                let opinion = format!(
                    "经调查核实，{}。根据有关规定，{}。如对本处理意见不服，可自收到本意见书之日起30日内向上一级行政机关申请复查。",
                    self.plans[idx].text.summary.trim_end_matches('。'),
                    match outcome {
                        Outcome::Supported | Outcome::Adopted | Outcome::Substantiated =>
                            "对信访人的合理诉求予以支持，已责成相关单位限期解决",
                        Outcome::PartlySupported | Outcome::PartlySubstantiated =>
                            "对其中有政策依据的部分予以支持，其余部分已向信访人作出解释",
                        Outcome::Explained => "已向信访人解答有关政策",
                        _ => "信访人的诉求缺乏政策依据，不予支持，已做好解释疏导工作",
                    }
                );
                Some(step(
                    principal(&handler, Role::Handler),
                    Command::Answer {
                        matter: id,
                        outcome,
                        opinion,
                    },
                ))
            }
            Action::Evaluate(which) => {
                let target = EvaluationTarget::BOTH[usize::from(which)];
                let rating = *pick_weighted(
                    &mut self.rng,
                    &[
                        (Rating::Satisfied, 68),
                        (Rating::BasicallySatisfied, 21),
                        (Rating::Unsatisfied, 11),
                    ],
                );
                let by = if self.rng.random_bool(0.15) {
                    principal(&bureau, Role::Registrar)
                } else {
                    petitioner_principal(&bureau)
                };
                Some(step(
                    by,
                    Command::Evaluate {
                        matter: id,
                        target,
                        rating,
                    },
                ))
            }
            Action::RequestReview => {
                let below = match self.plans[idx].stage {
                    0 => self.plans[idx].handler.clone(),
                    _ => self.plans[idx].authority.clone(),
                }?;
                let authority = self.unit(&below).parent_key.clone()?;
                self.plans[idx].authority = Some(authority.clone());
                self.plans[idx].stage += 1;
                let when = self.later(now, 5..29);
                self.schedule(idx, when, Action::AnswerReview);
                Some(step(
                    petitioner_principal(&bureau),
                    Command::RequestReview {
                        matter: id,
                        authority: uid(&authority),
                    },
                ))
            }
            Action::AnswerReview => {
                let authority = self.plans[idx].authority.clone().expect("requested");
                if self.plans[idx].stage == 1 && self.rng.random_bool(0.3) {
                    let when = self.later(now, 10..28);
                    self.schedule(idx, when, Action::RequestReview);
                }
                let decision = *pick_weighted(
                    &mut self.rng,
                    &[
                        (ReviewDecision::Upheld, 80),
                        (ReviewDecision::Changed, 15),
                        (ReviewDecision::Revoked, 5),
                    ],
                );
                Some(step(
                    principal(&authority, Role::Handler),
                    Command::AnswerReview {
                        matter: id,
                        decision,
                        opinion: match decision {
                            ReviewDecision::Upheld => {
                                "经审查，原处理意见认定事实清楚，适用政策正确，予以维持。"
                            }
                            ReviewDecision::Changed => {
                                "经审查，原处理意见部分认定不当，现予以变更。"
                            }
                            ReviewDecision::Revoked => "经审查，原处理意见认定事实不清，予以撤销。",
                        }
                        .into(),
                    },
                ))
            }
            Action::Resolve => {
                let handler = self.plans[idx].handler.clone().expect("answered");
                Some(step(
                    principal(&handler, Role::Handler),
                    Command::Resolve {
                        matter: id,
                        note: "经协调，信访人诉求已得到解决，信访人表示认可".into(),
                    },
                ))
            }
            Action::Supervise => {
                self.plans[idx].orders += 1;
                let order = OrderId::parse(&format!(
                    "DB-{}-{}",
                    self.plans[idx].id, self.plans[idx].orders
                ))
                .expect("valid");
                let when = self.later(now, 5..20);
                self.schedule(idx, when, Action::CloseSupervision);
                Some(step(
                    principal(&bureau, Role::Supervisor),
                    Command::IssueSupervision {
                        matter: id,
                        order,
                        days: 10,
                        note: "该事项已超过办理期限，请抓紧办理并报送结果".into(),
                    },
                ))
            }
            Action::CloseSupervision => {
                let order = OrderId::parse(&format!(
                    "DB-{}-{}",
                    self.plans[idx].id, self.plans[idx].orders
                ))
                .expect("valid");
                Some(step(
                    principal(&bureau, Role::Supervisor),
                    Command::CloseSupervision {
                        matter: id,
                        order,
                        note: "承办单位已报送办理结果".into(),
                    },
                ))
            }
            Action::AssignLeader => {
                let handler = self.plans[idx].handler.clone().expect("accepted");
                Some(step(
                    principal(&handler, Role::Leader),
                    Command::AssignLeader {
                        matter: id,
                        leader: format!("{}主要负责人", self.unit(&handler).name),
                        team: vec![
                            "分管负责人".into(),
                            "业务科室负责人".into(),
                            "属地街道负责人".into(),
                        ],
                        plan: "一周内召开协调会，一个月内提出化解方案并落实".into(),
                    },
                ))
            }
        }
    }

    /// After acceptance: maybe an extension, maybe supervision, maybe a leader, then the answer.
    fn schedule_handling(&mut self, idx: usize, accepted: DateTime<Utc>) {
        let extended = self.rng.random_bool(0.07);
        if extended {
            let when = self.later(accepted, 40..55);
            self.schedule(idx, when, Action::RequestExtension);
        }
        let late = self.rng.random_bool(0.05);
        let days = if extended {
            self.rng.random_range(60..80)
        } else if late {
            self.rng.random_range(62..80)
        } else {
            self.rng.random_range(7..58)
        };
        if late {
            let when = self.later(accepted, 61..=61);
            self.schedule(idx, when, Action::Supervise);
        }
        if self.plans[idx].person_count >= 5 && self.rng.random_bool(0.3) {
            let when = self.later(accepted, 1..5);
            self.schedule(idx, when, Action::AssignLeader);
        }
        let when = self.later(accepted, days..=days);
        self.schedule(idx, when, Action::Answer);
    }
}

//! The workflow API over storage: decide with the domain, seal the events onto the chain, fold them into
//! the projections, all in one transaction. Every writer in xinfang (server, CLI, import, demo) goes
//! through here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use xinfang_domain::calendar::Calendar;
use xinfang_domain::ids::{MatterId, UserId};
use xinfang_domain::org::{Org, OrgCommand};
use xinfang_domain::rules::Rules;
use xinfang_domain::{Change, Ctx, EventBody, Matter, Principal, StoredEvent, WorkflowError};

use crate::log::{self, Head};
use crate::projection::{self, ContactRow, MatterRow};
use crate::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The workflow refused: nothing was written.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        LedgerError::Store(e.into())
    }
}

/// What this process remembers between transactions. It is valid only while the chain head is where this
/// process left it; a write by anyone else moves the head and empties it.
struct Cache {
    head_seq: i64,
    org_seq: i64,
    org: Org,
    matters: HashMap<MatterId, Matter>,
    /// Every matter in the database is in `matters`: this process has made every write since the log
    /// was empty. Then a matter not cached does not exist, and nothing needs reading.
    complete: bool,
}

/// The organisation and the `org_seq` it is current for.
type OrgView = Option<(i64, Arc<Org>)>;

/// A password hash to store with the event that records it: (user, hash, must change at next login).
type Credential = (UserId, crate::accounts::PasswordHashText, bool);

/// Beyond this many cached matters the cache starts over, bounding memory.
const MAX_CACHED_MATTERS: usize = 400_000;

#[derive(Clone)]
pub struct Ledger {
    store: Store,
    rules: Arc<Rules>,
    calendar: Arc<Calendar>,
    cache: Arc<Mutex<Cache>>,
    /// The organisation as of an `org_seq`, for readers; writers use their own copy in `cache`.
    org_view: Arc<std::sync::RwLock<OrgView>>,
}

impl Ledger {
    pub fn new(store: Store, rules: Rules, calendar: Calendar) -> Self {
        Self {
            store,
            rules: Arc::new(rules),
            calendar: Arc::new(calendar),
            cache: Arc::new(Mutex::new(Cache {
                head_seq: -1,
                org_seq: -1,
                org: Org::default(),
                matters: HashMap::new(),
                complete: false,
            })),
            org_view: Arc::new(std::sync::RwLock::new(None)),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Carry out one change in its own transaction.
    pub async fn execute(
        &self,
        principal: &Principal,
        at: DateTime<Utc>,
        change: Change,
    ) -> Result<Vec<StoredEvent>, LedgerError> {
        let mut results = self
            .execute_batch(vec![(principal.clone(), at, change)])
            .await?;
        Ok(results.pop().expect("one result per change")?)
    }

    /// Carry out many changes in one transaction, in order (for import and demo data). A change the
    /// workflow refuses writes nothing and reports its error in its slot; the others commit together.
    /// A storage failure writes nothing at all.
    pub async fn execute_batch(
        &self,
        changes: Vec<(Principal, DateTime<Utc>, Change)>,
    ) -> Result<Vec<Result<Vec<StoredEvent>, WorkflowError>>, StoreError> {
        self.write_locked(changes, None).await
    }

    /// One writer at a time in this process; other processes queue on the chain head.
    async fn write_locked(
        &self,
        changes: Vec<(Principal, DateTime<Utc>, Change)>,
        credential: Option<Credential>,
    ) -> Result<Vec<Result<Vec<StoredEvent>, WorkflowError>>, StoreError> {
        let mut cache = self.cache.lock().await;
        let outcome = self.write(&mut cache, changes, credential).await;
        if outcome.is_err() {
            // The cache may hold state that never committed.
            cache.head_seq = -1;
            cache.org_seq = -1;
            cache.matters.clear();
            cache.complete = false;
        }
        outcome
    }

    async fn write(
        &self,
        cache: &mut Cache,
        changes: Vec<(Principal, DateTime<Utc>, Change)>,
        credential: Option<Credential>,
    ) -> Result<Vec<Result<Vec<StoredEvent>, WorkflowError>>, StoreError> {
        let credential_at = changes.first().map_or_else(Utc::now, |(_, at, _)| *at);
        let mut tx = self.store.pool.begin().await?;
        let mut head = log::lock_head(&mut tx).await?;
        if cache.head_seq != head.seq || cache.matters.len() > MAX_CACHED_MATTERS {
            cache.matters.clear();
            cache.complete = head.seq == 0;
        }
        if cache.org_seq != head.org_seq {
            cache.org = projection::load_org(&mut tx).await?;
            cache.org_seq = head.org_seq;
        }

        let mut sealed: Vec<(StoredEvent, String)> = Vec::new();
        let mut touched: HashMap<MatterId, i64> = HashMap::new();
        let mut opened: HashSet<String> = HashSet::new();
        let mut contact_rows = Vec::new();
        let mut org_events = Vec::new();
        // Per change: how many of `sealed` it produced, or why it was refused.
        let mut outcomes: Vec<Result<usize, WorkflowError>> = Vec::with_capacity(changes.len());

        // Every matter the batch touches that this process does not hold, read in a few queries.
        let missing: Vec<&MatterId> = changes
            .iter()
            .filter_map(|(_, _, c)| match c {
                Change::Matter(cmd) => Some(cmd.matter()),
                Change::Org(_) => None,
            })
            .filter(|id| !cache.matters.contains_key(*id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !cache.complete {
            for m in projection::load_matters(&mut tx, &missing).await? {
                cache.matters.insert(m.id.clone(), m);
            }
        }

        for (principal, at, change) in changes {
            let decided = match &change {
                Change::Org(cmd) => cache.org.decide(cmd, &principal),
                Change::Matter(cmd) => {
                    let id = cmd.matter();
                    let ctx = Ctx {
                        principal: &principal,
                        at,
                        org: &cache.org,
                        rules: &self.rules,
                        calendar: &self.calendar,
                    };
                    xinfang_domain::decide(cache.matters.get(id), cmd, &ctx)
                }
            };
            let bodies = match decided {
                Ok(b) => b,
                Err(e) => {
                    outcomes.push(Err(e));
                    continue;
                }
            };
            outcomes.push(Ok(bodies.len()));
            let actor = principal.actor();
            for body in bodies {
                head.seq += 1;
                let event = StoredEvent::seal(head.seq, at, actor.clone(), &body, head.hash);
                head.hash = event.hash;
                let row_changed = projection::fold_event(
                    &mut cache.org,
                    &mut cache.matters,
                    &body,
                    event.at,
                    &event.actor,
                );
                if body.is_org() {
                    head.org_seq = head.seq;
                }
                if let EventBody::ContactRegistered { contact } = &body {
                    contact_rows.push(ContactRow::of(contact, head.seq));
                }
                if let (true, Some(m)) = (row_changed, body.matter()) {
                    touched.insert(m.clone(), head.seq);
                }
                if let EventBody::MatterOpened { matter, .. } = &body {
                    opened.insert(matter.as_str().to_owned());
                }
                let stream = log::stream_key(&body);
                if body.is_org() {
                    org_events.push((body, head.seq));
                }
                sealed.push((event, stream));
            }
        }

        if !sealed.is_empty() {
            log::insert_events(&mut tx, &sealed).await?;
            let rows: Vec<MatterRow> = touched
                .iter()
                .map(|(id, seq)| MatterRow::of(&cache.matters[id], *seq))
                .collect();
            let (new, old): (Vec<&MatterRow>, Vec<&MatterRow>) =
                rows.iter().partition(|r| opened.contains(r.id.as_str()));
            projection::insert_matters(&mut tx, &new).await?;
            projection::update_matters(&mut tx, &old).await?;
            projection::insert_contacts(&mut tx, &contact_rows).await?;
            for (body, seq) in &org_events {
                projection::write_org_event(&mut tx, &cache.org, body, *seq).await?;
            }
            if let Some((user, hash, must_change)) = &credential {
                // Only when the change that records it went through.
                if outcomes.iter().all(Result::is_ok) {
                    crate::accounts::upsert_credentials(
                        &mut tx,
                        user,
                        hash,
                        *must_change,
                        credential_at.timestamp_millis(),
                    )
                    .await?;
                }
            }
            log::write_head(&mut tx, &head).await?;
        }
        tx.commit().await?;
        cache.head_seq = head.seq;
        cache.org_seq = head.org_seq;
        let mut events = sealed.into_iter().map(|(e, _)| e);
        let results = outcomes
            .into_iter()
            .map(|o| o.map(|n| events.by_ref().take(n).collect()))
            .collect();
        Ok(results)
    }

    /// Set a user's password: the event records that it was set (and whether by an administrator, which
    /// makes it a one-time password the user must change); the Argon2id hash goes to the credentials
    /// table in the same transaction.
    pub async fn set_password(
        &self,
        principal: &Principal,
        at: DateTime<Utc>,
        user: &UserId,
        password: String,
    ) -> Result<Vec<StoredEvent>, LedgerError> {
        if password.chars().count() < 10 {
            return Err(WorkflowError::Invalid {
                field: "password",
                message: "密码至少需要10个字符".into(),
            }
            .into());
        }
        let hash = crate::accounts::hash_password(password).await?;
        let must_change = *user != principal.user;
        let change = Change::Org(OrgCommand::SetPassword { user: user.clone() });
        let mut results = self
            .write_locked(
                vec![(principal.clone(), at, change)],
                Some((user.clone(), hash, must_change)),
            )
            .await?;
        Ok(results.pop().expect("one result per change")?)
    }

    /// The current state of a matter.
    pub async fn matter(&self, id: &MatterId) -> Result<Option<Matter>, StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        projection::load_matter(&mut conn, id).await
    }

    /// The organisation as it stands.
    ///
    /// Read on every signed-in request, so it is kept per process and reloaded only when the chain head
    /// says an organisation event was written since (by this process or any other).
    pub async fn org(&self) -> Result<Arc<Org>, StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        let head = log::read_head(&mut conn).await?;
        if let Some((seq, org)) = &*self.org_view.read().expect("not poisoned")
            && *seq == head.org_seq
        {
            return Ok(Arc::clone(org));
        }
        let org = Arc::new(projection::load_org(&mut conn).await?);
        *self.org_view.write().expect("not poisoned") = Some((head.org_seq, Arc::clone(&org)));
        Ok(org)
    }

    /// The end of the chain: (sequence number, hash).
    pub async fn head(&self) -> Result<(i64, xinfang_domain::Hash), StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        let Head { seq, hash, .. } = log::read_head(&mut conn).await?;
        Ok((seq, hash))
    }
}

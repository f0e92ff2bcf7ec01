//! The workflow API over storage: decide with the domain, seal the events onto the chain, fold them into
//! the projections, all in one transaction. Every writer in xinfang (server, CLI, import, demo) goes
//! through here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use tokio::sync::Mutex;
use xinfang_domain::calendar::Calendar;
use xinfang_domain::figures::{Fact, facts};
use xinfang_domain::ids::{MatterId, UserId};
use xinfang_domain::org::{Org, OrgCommand};
use xinfang_domain::rules::Rules;
use xinfang_domain::{
    Change, Command, Ctx, EventBody, Matter, Principal, StoredEvent, WorkflowError,
};

use crate::audit::AuditEntry;
use crate::log::{self, Head};
use crate::projection::{self, ContactRow, MatterRow, RowChange};
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

/// The contact ids that the registrations among these changes would create.
fn registered_contacts(groups: &[Vec<(Principal, DateTime<Utc>, Change)>]) -> Vec<String> {
    groups
        .iter()
        .flatten()
        .filter_map(|(_, _, c)| match c {
            Change::Matter(Command::Register { contact, .. }) => {
                Some(contact.id.as_str().to_owned())
            }
            _ => None,
        })
        .collect()
}

/// Why a group of changes was refused: which change (by position in the group) and the workflow's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRefusal {
    pub index: usize,
    pub error: WorkflowError,
}

/// What a write carries besides events, committed in the same transaction.
#[derive(Default)]
struct Extras {
    credential: Option<Credential>,
    /// Entries for the trail, each written only if its group (by index) goes through; reads have none.
    audit: Vec<(Option<usize>, AuditEntry)>,
}

/// A request waiting for the next group commit.
struct Job {
    /// Changes written all or nothing; none for a read to record.
    changes: Vec<(Principal, DateTime<Utc>, Change)>,
    audit: AuditEntry,
    reply: tokio::sync::oneshot::Sender<Result<Vec<StoredEvent>, LedgerError>>,
}

/// Events and projection rows decided in a transaction, not yet written.
#[derive(Default)]
struct Pending {
    sealed: Vec<(StoredEvent, String)>,
    /// Matters whose projection changed: the last event that changed it, and how.
    touched: HashMap<MatterId, (i64, RowChange)>,
    opened: HashSet<String>,
    contact_rows: Vec<ContactRow>,
    org_events: Vec<(EventBody, i64)>,
    /// Contact ids already registered, before or in this transaction.
    taken_contacts: HashSet<String>,
    /// The figure facts of each matter an event of the transaction is for, as the matter's rows in
    /// `figure_facts` stand: derived from its state before the transaction's first event for it (none
    /// for a matter the transaction opens). At commit only the rows that differ are written.
    facts_before: HashMap<MatterId, Vec<Fact>>,
    /// The last document serial in the table for each issuing unit, kind and year the batch may issue in.
    last_serials: HashMap<crate::documents::SerialKey, u32>,
    /// Documents issued in this transaction, in order.
    documents: Vec<crate::documents::DocumentRow>,
}

/// A matter as it was before a group: its state, its pending row change, whether the batch opened it.
type MatterMark = (MatterId, Option<Matter>, Option<(i64, RowChange)>, bool);

/// Where a group started, to undo it when one of its changes is refused.
struct Mark {
    head: Head,
    sealed: usize,
    contact_rows: usize,
    org_events: usize,
    documents: usize,
    matters: Vec<MatterMark>,
    org: Option<Org>,
}

impl Pending {
    fn mark(
        &self,
        head: &Head,
        cache: &Cache,
        group: &[(Principal, DateTime<Utc>, Change)],
    ) -> Mark {
        let ids: HashSet<&MatterId> = group
            .iter()
            .filter_map(|(_, _, c)| match c {
                Change::Matter(cmd) => Some(cmd.matter()),
                Change::Org(_) => None,
            })
            .collect();
        Mark {
            head: *head,
            sealed: self.sealed.len(),
            contact_rows: self.contact_rows.len(),
            org_events: self.org_events.len(),
            documents: self.documents.len(),
            matters: ids
                .into_iter()
                .map(|id| {
                    (
                        id.clone(),
                        cache.matters.get(id).cloned(),
                        self.touched.get(id).copied(),
                        self.opened.contains(id.as_str()),
                    )
                })
                .collect(),
            // Only groups of one change touch the organisation in practice; copy it only then.
            org: group
                .iter()
                .any(|(_, _, c)| matches!(c, Change::Org(_)))
                .then(|| cache.org.clone()),
        }
    }

    /// Undo everything since `mark`; returns the head as it was.
    fn roll_back(&mut self, mark: Mark, cache: &mut Cache) -> Head {
        self.sealed.truncate(mark.sealed);
        for undone in self.contact_rows.drain(mark.contact_rows..) {
            self.taken_contacts.remove(&undone.id);
        }
        self.org_events.truncate(mark.org_events);
        self.documents.truncate(mark.documents);
        for (id, matter, touched, opened) in mark.matters {
            match matter {
                Some(m) => cache.matters.insert(id.clone(), m),
                None => cache.matters.remove(&id),
            };
            match touched {
                Some(t) => self.touched.insert(id.clone(), t),
                None => self.touched.remove(&id),
            };
            if !opened {
                self.opened.remove(id.as_str());
            }
        }
        if let Some(org) = mark.org {
            cache.org = org;
        }
        mark.head
    }
}

/// Beyond this many cached matters the cache starts over, bounding memory.
/// The map is sized for this many up front: growing a map of large values moves every one of them, and
/// a write that happens to trigger that waits for it (hundreds of milliseconds at a few hundred thousand).
const MAX_CACHED_MATTERS: usize = 150_000;

#[derive(Clone)]
pub struct Ledger {
    store: Store,
    rules: Arc<Rules>,
    calendar: Arc<Calendar>,
    cache: Arc<Mutex<Cache>>,
    /// The organisation as of an `org_seq`, for readers; writers use their own copy in `cache`.
    org_view: Arc<std::sync::RwLock<OrgView>>,
    /// Requests waiting for the next group commit.
    queue: Arc<std::sync::Mutex<Vec<Job>>>,
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
                matters: HashMap::with_capacity(MAX_CACHED_MATTERS + 1),
                complete: false,
            })),
            org_view: Arc::new(std::sync::RwLock::new(None)),
            queue: Arc::new(std::sync::Mutex::new(Vec::new())),
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

    /// Carry out many changes in one transaction, in order (for demo data). A change the workflow
    /// refuses writes nothing and reports its error in its slot; the others commit together. A storage
    /// failure writes nothing at all.
    pub async fn execute_batch(
        &self,
        changes: Vec<(Principal, DateTime<Utc>, Change)>,
    ) -> Result<Vec<Result<Vec<StoredEvent>, WorkflowError>>, StoreError> {
        let groups = changes.into_iter().map(|c| vec![c]).collect();
        let results = self.write_locked(groups, Extras::default()).await?;
        Ok(results
            .into_iter()
            .map(|r| r.map_err(|refusal| refusal.error))
            .collect())
    }

    /// Carry out groups of changes in one transaction, in order (for import: one group per imported
    /// row). Each group is all or nothing: when the workflow refuses one of its changes, none of the
    /// group's changes are written, and its slot says which change was refused and why. A storage failure
    /// writes nothing at all.
    pub async fn execute_groups(
        &self,
        groups: Vec<Vec<(Principal, DateTime<Utc>, Change)>>,
    ) -> Result<Vec<Result<Vec<StoredEvent>, GroupRefusal>>, StoreError> {
        self.write_locked(groups, Extras::default()).await
    }

    /// Carry out one change and record in the audit trail, in the same transaction, where it came from.
    ///
    /// Requests that arrive while a transaction is being written wait, and the next writer commits all
    /// of them in one transaction (group commit): each still succeeds or fails on its own, but they share
    /// the cost of the commit's flush to disk, which is what bounds a busy server.
    pub async fn execute_audited(
        &self,
        principal: &Principal,
        at: DateTime<Utc>,
        change: Change,
        audit: AuditEntry,
    ) -> Result<Vec<StoredEvent>, LedgerError> {
        self.submit(vec![(principal.clone(), at, change)], audit)
            .await
    }

    /// Like [`Ledger::execute_audited`] for several changes that stand or fall together (a contact
    /// registered with staff's decisions on the links proposed for it): when the workflow refuses one,
    /// none is written, and the error is that change's.
    pub async fn execute_group_audited(
        &self,
        principal: &Principal,
        at: DateTime<Utc>,
        changes: Vec<Change>,
        audit: AuditEntry,
    ) -> Result<Vec<StoredEvent>, LedgerError> {
        let group = changes
            .into_iter()
            .map(|change| (principal.clone(), at, change))
            .collect();
        self.submit(group, audit).await
    }

    /// Record in the audit trail something that is not a workflow change (a read of personal data, a
    /// token made), committed with the next group of writes; returns once it is on disk.
    pub async fn record(&self, audit: AuditEntry) -> Result<(), LedgerError> {
        self.submit(Vec::new(), audit).await.map(|_| ())
    }

    async fn submit(
        &self,
        changes: Vec<(Principal, DateTime<Utc>, Change)>,
        audit: AuditEntry,
    ) -> Result<Vec<StoredEvent>, LedgerError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue.lock().expect("not poisoned").push(Job {
            changes,
            audit,
            reply,
        });
        let mut answer = answer;
        {
            let mut cache = self.cache.lock().await;
            // A writer before us may have taken our request with its own: then we are done, and must
            // not hold up the requests behind us. Otherwise we take every request waiting, ours first
            // among them, into one transaction.
            match answer.try_recv() {
                Ok(result) => return result,
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::WriteFailed("写入任务意外中断".into()).into());
                }
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {
                    let jobs = std::mem::take(&mut *self.queue.lock().expect("not poisoned"));
                    if !jobs.is_empty() {
                        self.commit_jobs(&mut cache, jobs).await;
                    }
                }
            }
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::WriteFailed("写入任务意外中断".into()).into()))
    }

    async fn commit_jobs(&self, cache: &mut Cache, jobs: Vec<Job>) {
        let mut groups = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        let mut audit = Vec::with_capacity(jobs.len());
        for job in jobs {
            let group = (!job.changes.is_empty()).then(|| {
                groups.push(job.changes);
                groups.len() - 1
            });
            audit.push((group, job.audit));
            replies.push((group, job.reply));
        }
        let extras = Extras {
            audit,
            ..Extras::default()
        };
        let started = std::time::Instant::now();
        let size = replies.len();
        let outcome = self.write_or_reset(cache, groups, extras).await;
        tracing::debug!(
            size,
            elapsed_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        match outcome {
            Ok(mut results) => {
                for (group, reply) in replies {
                    let result = match group {
                        Some(g) => std::mem::replace(&mut results[g], Ok(Vec::new()))
                            .map_err(|r| r.error.into()),
                        None => Ok(Vec::new()),
                    };
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = ?e, "group commit failed");
                let message = e.to_string();
                for (_, reply) in replies {
                    let _ = reply.send(Err(StoreError::WriteFailed(message.clone()).into()));
                }
            }
        }
    }

    /// One writer at a time in this process; other processes queue on the chain head.
    async fn write_locked(
        &self,
        groups: Vec<Vec<(Principal, DateTime<Utc>, Change)>>,
        extras: Extras,
    ) -> Result<Vec<Result<Vec<StoredEvent>, GroupRefusal>>, StoreError> {
        let mut cache = self.cache.lock().await;
        self.write_or_reset(&mut cache, groups, extras).await
    }

    async fn write_or_reset(
        &self,
        cache: &mut Cache,
        groups: Vec<Vec<(Principal, DateTime<Utc>, Change)>>,
        extras: Extras,
    ) -> Result<Vec<Result<Vec<StoredEvent>, GroupRefusal>>, StoreError> {
        let outcome = self.write(cache, groups, extras).await;
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
        groups: Vec<Vec<(Principal, DateTime<Utc>, Change)>>,
        extras: Extras,
    ) -> Result<Vec<Result<Vec<StoredEvent>, GroupRefusal>>, StoreError> {
        let credential_at = groups
            .first()
            .and_then(|g| g.first())
            .map_or_else(Utc::now, |(_, at, _)| *at);
        let mut tx = self.store.writer.begin().await?;
        let mut head = log::lock_head(&mut tx).await?;
        if cache.head_seq != head.seq || cache.matters.len() > MAX_CACHED_MATTERS {
            cache.matters.clear();
            cache.complete = head.seq == 0;
        }
        if cache.org_seq != head.org_seq {
            cache.org = projection::load_org(&mut tx).await?;
            cache.org_seq = head.org_seq;
        }

        // Every matter the batch touches that this process does not hold, read in a few queries.
        let missing: Vec<&MatterId> = groups
            .iter()
            .flatten()
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

        // Serials are read here, under the chain head's lock, so no other writer can take the same one.
        let serial_keys: Vec<_> = groups
            .iter()
            .flatten()
            .filter_map(|(principal, at, c)| match c {
                Change::Matter(Command::IssueDocument { request, .. }) => {
                    let year = xinfang_domain::workflow::china_date(*at).year();
                    Some(crate::documents::serial_key(
                        &principal.unit,
                        request.kind,
                        year,
                    ))
                }
                _ => None,
            })
            .collect();
        let mut pending = Pending {
            taken_contacts: projection::existing_contacts(&mut tx, &registered_contacts(&groups))
                .await?,
            last_serials: crate::documents::last_serials(&mut tx, serial_keys).await?,
            ..Pending::default()
        };
        // Per group: how many of `pending.sealed` it produced, or why it was refused.
        let mut outcomes: Vec<Result<usize, GroupRefusal>> = Vec::with_capacity(groups.len());
        for group in groups {
            let mark = pending.mark(&head, cache, &group);
            let mut refusal = None;
            for (index, (principal, at, change)) in group.into_iter().enumerate() {
                if let Err(error) =
                    self.apply_change(cache, &mut head, &mut pending, principal, at, change)
                {
                    refusal = Some(GroupRefusal { index, error });
                    break;
                }
            }
            outcomes.push(match refusal {
                None => Ok(pending.sealed.len() - mark.sealed),
                Some(r) => {
                    head = pending.roll_back(mark, cache);
                    Err(r)
                }
            });
        }

        if !pending.sealed.is_empty() {
            log::insert_events(&mut tx, &pending.sealed).await?;
            let rows: Vec<(MatterRow, RowChange)> = pending
                .touched
                .iter()
                .map(|(id, (seq, change))| {
                    (MatterRow::of(&cache.matters[id], *seq, &cache.org), *change)
                })
                .collect();
            let new: Vec<&MatterRow> = rows
                .iter()
                .filter(|(r, _)| pending.opened.contains(r.id.as_str()))
                .map(|(r, _)| r)
                .collect();
            let old: Vec<&(MatterRow, RowChange)> = rows
                .iter()
                .filter(|(r, _)| !pending.opened.contains(r.id.as_str()))
                .collect();
            let old_rows: Vec<&MatterRow> = old.iter().map(|(r, _)| r).collect();
            let rewritten = |table: fn(&RowChange) -> bool| -> Vec<&MatterRow> {
                old.iter()
                    .filter(|(_, c)| table(c))
                    .map(|(r, _)| r)
                    .collect()
            };
            let new_holders = rewritten(|c| c.holders);
            let new_flags = rewritten(|c| c.flags);
            projection::insert_matters(&mut tx, &new).await?;
            projection::update_matters(&mut tx, &old_rows, &new_holders, &new_flags).await?;
            projection::insert_contacts(&mut tx, &pending.contact_rows).await?;
            crate::documents::insert_documents(&mut tx, &pending.documents).await?;
            let mut fact_changes = crate::figures::FactChanges::default();
            for (id, before) in &pending.facts_before {
                // A matter whose group was refused is as it was, or gone from the cache if the
                // group opened it: then it had no rows and has none.
                let after = cache
                    .matters
                    .get(id)
                    .map_or_else(Vec::new, |m| facts(m, self.store.figure_rules()));
                fact_changes.add(id, before, &after);
            }
            fact_changes.write(&mut tx).await?;
            for (body, seq) in &pending.org_events {
                projection::write_org_event(&mut tx, &cache.org, body, *seq).await?;
            }
            if let Some((user, hash, must_change)) = &extras.credential {
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
        let audit: Vec<AuditEntry> = extras
            .audit
            .into_iter()
            .filter(|(group, _)| group.is_none_or(|g| outcomes.get(g).is_some_and(Result::is_ok)))
            .map(|(_, entry)| entry)
            .collect();
        crate::audit::insert(&mut tx, &audit).await?;
        tx.commit().await?;
        cache.head_seq = head.seq;
        cache.org_seq = head.org_seq;
        let mut events = pending.sealed.into_iter().map(|(e, _)| e);
        let results = outcomes
            .into_iter()
            .map(|o| o.map(|n| events.by_ref().take(n).collect()))
            .collect();
        Ok(results)
    }

    /// Decide one change and fold its events into the cache and `pending`.
    fn apply_change(
        &self,
        cache: &mut Cache,
        head: &mut Head,
        pending: &mut Pending,
        principal: Principal,
        at: DateTime<Utc>,
        change: Change,
    ) -> Result<(), WorkflowError> {
        // A contact id is registered once, ever: refused here rather than by the database's unique key,
        // which would fail every other change committed with it.
        if let Change::Matter(Command::Register { contact, .. }) = &change
            && pending.taken_contacts.contains(contact.id.as_str())
        {
            return Err(WorkflowError::ContactExists(contact.id.clone()));
        }
        let bodies = match &change {
            Change::Org(cmd) => cache.org.decide(cmd, &principal)?,
            Change::Matter(cmd) => {
                let ctx = Ctx {
                    principal: &principal,
                    at,
                    org: &cache.org,
                    rules: &self.rules,
                    calendar: &self.calendar,
                };
                xinfang_domain::decide(cache.matters.get(cmd.matter()), cmd, &ctx)?
            }
        };
        let actor = principal.actor();
        for mut body in bodies {
            if let EventBody::DocumentIssued { matter, document } = &mut body {
                // The domain leaves the serial to the store: the next of its unit, kind and year.
                let key = crate::documents::serial_key(
                    &document.issued_by,
                    document.kind,
                    document.number.year,
                );
                let issued_here = pending.documents.iter().filter(|d| d.key() == key).count();
                let last = pending.last_serials.get(&key).copied().unwrap_or(0);
                document.number.serial = last + u32::try_from(issued_here).unwrap_or(u32::MAX) + 1;
                let ordinal = cache.matters.get(matter).map_or(0, |m| m.documents.len());
                pending
                    .documents
                    .push(crate::documents::DocumentRow::of(matter, ordinal, document));
            }
            head.seq += 1;
            let event = StoredEvent::seal(head.seq, at, actor.clone(), &body, head.hash);
            head.hash = event.hash;
            if let Some(id) = body.matter()
                && !pending.facts_before.contains_key(id)
            {
                let before = cache
                    .matters
                    .get(id)
                    .map_or_else(Vec::new, |m| facts(m, self.store.figure_rules()));
                pending.facts_before.insert(id.clone(), before);
            }
            let change = projection::fold_event(
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
                pending.contact_rows.push(ContactRow::of(contact, head.seq));
                pending
                    .taken_contacts
                    .insert(contact.draft.id.as_str().to_owned());
            }
            if let (true, Some(m)) = (change.any(), body.matter()) {
                let entry = pending
                    .touched
                    .entry(m.clone())
                    .or_insert((head.seq, change));
                *entry = (head.seq, entry.1.and(change));
            }
            if let EventBody::MatterOpened { matter, .. } = &body {
                pending.opened.insert(matter.as_str().to_owned());
            }
            let stream = log::stream_key(&body);
            if body.is_org() {
                pending.org_events.push((body, head.seq));
            }
            pending.sealed.push((event, stream));
        }
        Ok(())
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
        let extras = Extras {
            credential: Some((user.clone(), hash, must_change)),
            ..Extras::default()
        };
        let mut results = self
            .write_locked(vec![vec![(principal.clone(), at, change)]], extras)
            .await?;
        let events = results
            .pop()
            .expect("one result per group")
            .map_err(|r| r.error)?;
        Ok(events)
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

    /// The organisation as of `org_seq`, which the caller has just read from the chain head (with its
    /// session or token): no query when this process's copy is that version.
    pub async fn org_at(&self, org_seq: i64) -> Result<Arc<Org>, StoreError> {
        if let Some((seq, org)) = &*self.org_view.read().expect("not poisoned")
            && *seq >= org_seq
        {
            return Ok(Arc::clone(org));
        }
        self.org().await
    }

    /// The end of the chain: (sequence number, hash).
    pub async fn head(&self) -> Result<(i64, xinfang_domain::Hash), StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        let Head { seq, hash, .. } = log::read_head(&mut conn).await?;
        Ok((seq, hash))
    }
}

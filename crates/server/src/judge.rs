//! The server decides again (ADR 25). Every pushed command is read back
//! from its events (`portal_domain::recover`) and decided by the domain
//! against the server's own state of its stream; the batch is stored only
//! when each command's events are exactly what `decide` gives. A client
//! that skips a rule, or a hand-made request, meets the rule here with the
//! same reason the browser would have shown.
//!
//! Each tenant's state is a `Portal` at the head of its log, kept by a
//! thread of its own: the domain's collections are not `Send` (they are
//! made for the browser's one thread), so the state never leaves the
//! thread that folds it. The thread also serialises the tenant's pushes,
//! which the storage does anyway, and it follows the log incrementally:
//! what it stores, it folds; what it did not write (another instance), it
//! reads before it decides.

use crate::broker::Broker;
use crate::clock::Clock;
use crate::gateway::{KeyIndex, Keys};
use crate::instances::Leases;
use crate::live::Heads;
use crate::processors::{self, Schedule};
use crate::storage::{Incoming, PushError, Reading, Storage};
use chrono::{DateTime, Utc};
use portal_domain::process::{self, Issued};
use portal_domain::recover::{commands, recover};
use portal_domain::{
    decide, may, owner_known, Actor, AppId, Command, DeviceId, DomainError, Envelope, Event,
    Person, Portal, Rating, Role, StreamId, StreamState, SurveyId, SurveyStatus, Text,
    UnknownOwner,
};
use portal_sync::Placed;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{mpsc, oneshot};

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Push(#[from] PushError),
    /// A command the domain refuses, with its reason.
    #[error("{error}")]
    RuleBroken {
        /// The command's first event, by its place in the batch.
        index: usize,
        command: &'static str,
        error: DomainError,
    },
    /// A person's command that their token may not give.
    #[error("{why}")]
    Forbidden {
        index: usize,
        command: &'static str,
        /// `forged_actor`, or the domain's `Forbidden::code`.
        code: &'static str,
        why: String,
    },
    /// A person's command naming an owner who is no active person of the
    /// tenant.
    #[error("{0}")]
    UnknownOwner(UnknownOwner),
    /// Events that no command gives: a command cut in two, or changed after
    /// it was decided.
    #[error("events[{index}]: {why}")]
    NotDecided { index: usize, why: String },
    /// The tenant's log could not be read to decide.
    #[error("the log could not be read: {0}")]
    Unreadable(String),
}

impl Refusal {
    /// The rule's stable name, for a refusal of the domain.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            Refusal::RuleBroken { error, .. } => Some(error.code()),
            Refusal::NotDecided { .. } => Some("not_decided"),
            Refusal::Forbidden { code, .. } => Some(code),
            Refusal::UnknownOwner(e) => Some(e.code()),
            _ => None,
        }
    }
}

/// What became of a survey's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Responded {
    Recorded,
    /// The same answer was recorded before: nothing new.
    AlreadyRecorded,
}

/// The person a push comes from, when it is a person's token.
#[derive(Clone, Debug)]
pub struct Acting {
    pub actor: Actor,
    pub role: Role,
}

impl Acting {
    /// Whether the person may give `command`, which names `actor`.
    fn allows(
        &self,
        command: &Command,
        actor: &Actor,
        state: &StreamState<'_>,
    ) -> Result<(), (&'static str, String)> {
        let action = &command.action;
        // A process-only command is refused by `may` below, whoever it names.
        if actor != &self.actor && !action.is_process_only() {
            return Err((
                "forged_actor",
                format!(
                    "This token acts as {}; it cannot write as {actor}.",
                    self.actor
                ),
            ));
        }
        let person = Person {
            actor: &self.actor,
            role: self.role,
        };
        may(person, command, state).map_err(|f| (f.code(), f.to_string()))
    }
}

/// One event of a push: as decoded, and as it will be stored.
pub struct Pushed {
    pub envelope: Envelope,
    pub incoming: Incoming,
}

/// What a tenant's thread is asked to do.
enum Work {
    Push(Job),
    /// Another instance wrote to the log (ADR 36).
    CatchUp,
    /// A survey's answer that came by its own secret (a form service).
    Respond {
        survey: SurveyId,
        rating: Rating,
        comment: Option<Text>,
        reply: oneshot::Sender<Result<Responded, Refusal>>,
    },
    /// A read of its state of the log (the read API): run on the thread,
    /// after every push sent before it.
    Read(Box<dyn FnOnce(&Portal) + Send>),
}

struct Job {
    acting: Option<Acting>,
    batch: Vec<Pushed>,
    reply: oneshot::Sender<Result<Vec<Placed>, Refusal>>,
}

/// The deciding threads, one per tenant, started at the server's start
/// for every tenant with a log ([`Judges::start_all`]) and on a new
/// tenant's first push. Each also runs its tenant's processors.
pub struct Judges {
    storage: Arc<Storage>,
    clock: Clock,
    heads: Arc<Heads>,
    keys: Arc<Keys>,
    /// Where every tenant's events are published, when a broker is set.
    broker: std::sync::OnceLock<Broker>,
    /// Which tenant each survey is of, for an answer that comes by the
    /// survey's id alone.
    surveys: Arc<RwLock<HashMap<SurveyId, Arc<str>>>>,
    /// Which tenants this instance runs the processors of (ADR 36).
    leases: Arc<Leases>,
    tenants: Mutex<HashMap<String, mpsc::UnboundedSender<Work>>>,
}

impl Judges {
    pub fn new(storage: Arc<Storage>, clock: Clock) -> Self {
        Judges {
            clock,
            heads: Arc::new(Heads::default()),
            keys: Arc::new(Keys::default()),
            broker: std::sync::OnceLock::new(),
            surveys: Arc::new(RwLock::new(HashMap::new())),
            leases: Arc::new(Leases::of(&storage)),
            storage,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    /// This instance's leases: which tenants it runs the processors,
    /// publishers and webhooks of.
    pub fn leases(&self) -> &Arc<Leases> {
        &self.leases
    }

    /// Tells `tenant`'s thread that another instance wrote to its log.
    pub fn nudge(&self, tenant: &str) {
        if let Ok(sender) = self.sender(tenant) {
            let _ = sender.send(Work::CatchUp);
        }
    }

    /// The tenant whose log holds `survey`, if one does.
    pub fn tenant_of_survey(&self, survey: SurveyId) -> Option<Arc<str>> {
        self.surveys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&survey)
            .cloned()
    }

    /// Records the answer to `survey` of `tenant`, as its owner, caused by
    /// its sending; the same answer again is taken and changes nothing.
    pub async fn respond(
        &self,
        tenant: &str,
        survey: SurveyId,
        rating: Rating,
        comment: Option<Text>,
    ) -> Result<Responded, Refusal> {
        let (reply, answer) = oneshot::channel();
        let gone = || Refusal::Unreadable("the tenant's judge has stopped".into());
        self.sender(tenant)?
            .send(Work::Respond {
                survey,
                rating,
                comment,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Publishes every tenant's events to `broker` from now on (each
    /// tenant's publisher starts with its thread, ADR 33). Set once, before
    /// the threads start.
    pub fn publish_to(&self, broker: Broker) {
        let _ = self.broker.set(broker);
    }

    /// Runs `read` on `tenant`'s state of its log, on its thread, and
    /// gives what it returns.
    pub async fn read<R: Send + 'static>(
        &self,
        tenant: &str,
        read: impl FnOnce(&Portal) -> R + Send + 'static,
    ) -> Result<R, Refusal> {
        let (reply, answer) = oneshot::channel();
        let gone = || Refusal::Unreadable("the tenant's judge has stopped".into());
        self.sender(tenant)?
            .send(Work::Read(Box::new(move |portal| {
                let _ = reply.send(read(portal));
            })))
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    }

    /// Each tenant's credentials by the hash of their key, for gateways.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The server's now, as its processors see it.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Where each tenant's log ends, for its live subscribers.
    pub fn heads(&self) -> &Heads {
        &self.heads
    }

    /// Starts the thread of every tenant that has a log, so that what fell
    /// due while the server was down, and what falls due next, is written
    /// with no request to wake it; and a deliverer for every webhook.
    /// Returns how many tenants it started.
    pub async fn start_all(self: &Arc<Self>) -> Result<usize, String> {
        // What other instances on the same database write (ADR 36).
        let judges = self.clone();
        tokio::spawn(crate::instances::listen(
            self.storage.clone(),
            self.heads.clone(),
            move |tenant| judges.nudge(tenant),
        ));
        let tenants = self.storage.tenants().await.map_err(|e| e.to_string())?;
        for tenant in &tenants {
            self.sender(tenant).map_err(|e| e.to_string())?;
        }
        let hooks = self
            .storage
            .webhooks(None)
            .await
            .map_err(|e| e.to_string())?;
        for hook in hooks {
            self.deliver(&hook.id);
        }
        Ok(tenants.len())
    }

    /// Delivers to the webhook `id` from where it stopped (ADR 35).
    pub fn deliver(&self, id: &str) {
        tokio::spawn(crate::webhooks::deliver_to(
            id.to_owned(),
            self.storage.clone(),
            self.heads.clone(),
            self.leases.clone(),
        ));
    }

    /// Decides `batch` again and stores it, all or nothing.
    /// `acting` is the person whose token pushes, if it is a person's.
    pub async fn push(
        &self,
        tenant: &str,
        acting: Option<Acting>,
        batch: Vec<Pushed>,
    ) -> Result<Vec<Placed>, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.sender(tenant)?
            .send(Work::Push(Job {
                acting,
                batch,
                reply,
            }))
            .map_err(|_| Refusal::Unreadable("the tenant's judge has stopped".into()))?;
        answer
            .await
            .map_err(|_| Refusal::Unreadable("the tenant's judge has stopped".into()))?
    }

    fn sender(&self, tenant: &str) -> Result<mpsc::UnboundedSender<Work>, Refusal> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = tenants.get(tenant).filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let (sender, jobs) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Handle::current();
        let (storage, name, clock) = (self.storage.clone(), tenant.to_owned(), self.clock.clone());
        let heads = self.heads.clone();
        if let Some(broker) = self.broker.get() {
            runtime.spawn(broker.clone().follow(
                tenant.to_owned(),
                self.storage.clone(),
                heads.clone(),
                self.leases.clone(),
            ));
        }
        let keys = self.keys.of(tenant);
        let surveys = Surveys {
            tenant: Arc::from(tenant),
            index: self.surveys.clone(),
        };
        let leases = self.leases.clone();
        std::thread::Builder::new()
            .name(format!("judge {tenant}"))
            .spawn(move || {
                let head = Head::new(processors::device_of(&name), keys, surveys, leases);
                runtime.block_on(judge(name, storage, clock, heads, head, jobs))
            })
            .map_err(|e| Refusal::Unreadable(format!("no thread to decide on: {e}")))?;
        tenants.insert(tenant.to_owned(), sender.clone());
        Ok(sender)
    }
}

/// The longest the thread sleeps without looking at its clock again.
const MOST_ASLEEP: std::time::Duration = std::time::Duration::from_secs(60);
/// How long the processors wait after a write failed (the database was
/// away) before they try again.
const AFTER_A_FAILURE: chrono::Duration = chrono::Duration::seconds(2);
/// How long after a machine token's last push the time-driven processors
/// wait: an import in batches records its own expiries further on.
const IMPORT_QUIET: chrono::Duration = chrono::Duration::seconds(5);

async fn judge(
    tenant: String,
    storage: Arc<Storage>,
    clock: Clock,
    heads: Arc<Heads>,
    mut head: Head,
    mut jobs: mpsc::UnboundedReceiver<Work>,
) {
    // What the processors owe since the last run (the server was down, or
    // this is a new instance) is written first.
    head.process(&tenant, &storage, &clock).await;
    heads.moved(&tenant, head.portal.position());
    loop {
        let job = match head.wait(clock.now()) {
            None => jobs.recv().await,
            Some(wait) => match tokio::time::timeout(wait, jobs.recv()).await {
                Ok(job) => job,
                // Something fell due.
                Err(_) => {
                    head.process(&tenant, &storage, &clock).await;
                    heads.moved(&tenant, head.portal.position());
                    continue;
                }
            },
        };
        let job = match job {
            None => return,
            Some(Work::CatchUp) => {
                // Another instance wrote: read it, and, holding the lease,
                // react to it.
                if head.loaded {
                    let _ = head.catch_up(&tenant, &storage).await;
                }
                head.process(&tenant, &storage, &clock).await;
                heads.moved(&tenant, head.portal.position());
                continue;
            }
            Some(Work::Read(read)) => {
                // A log that cannot be read yet reads as what is folded.
                let _ = head.load(&tenant, &storage).await;
                read(&head.portal);
                continue;
            }
            Some(Work::Respond {
                survey,
                rating,
                comment,
                reply,
            }) => {
                let at = clock.now();
                let answer = head
                    .respond(&tenant, &storage, survey, rating, comment, at)
                    .await;
                let _ = reply.send(answer);
                heads.moved(&tenant, head.portal.position());
                continue;
            }
            Some(Work::Push(job)) => job,
        };
        let before = head.portal.log().len();
        let machine = job.acting.is_none();
        let answer = head
            .push(&tenant, &storage, job.acting.as_ref(), job.batch)
            .await;
        if machine && answer.is_ok() {
            head.imported(before, clock.now());
        }
        // The caller may have gone (the request was cancelled): nothing to tell.
        let _ = job.reply.send(answer);
        heads.moved(&tenant, head.portal.position());
        // The push is answered first: what it sets off is the processors'.
        head.process(&tenant, &storage, &clock).await;
        heads.moved(&tenant, head.portal.position());
    }
}

/// A tenant's log as the server decides against it, and its processors'
/// place in it.
struct Head {
    /// Whether the stored log has been read since the thread started.
    loaded: bool,
    portal: Portal,
    /// Each stream's events, by log position: a stream's state on its own,
    /// for a batch with several commands on one stream.
    streams: HashMap<StreamId, Vec<u32>>,
    /// The device the processors write as.
    device: DeviceId,
    /// Every event before this log position has had its reactions.
    reacted_through: usize,
    /// What falls due, and when.
    schedule: Schedule,
    /// After a failed write, the processors wait until then.
    paused_until: Option<DateTime<Utc>>,
    /// Log positions a machine token pushed: history that carries its own
    /// processes' events (an import), which the processors do not react to.
    imported: Vec<std::ops::Range<usize>>,
    /// While a machine token is pushing history, what falls due waits
    /// until then: the history may record it further on.
    importing_until: Option<DateTime<Utc>>,
    /// The tenant's credentials by key hash, kept for gateways.
    keys: Arc<RwLock<KeyIndex>>,
    /// Its surveys, in the index of which tenant each survey is of.
    surveys: Surveys,
    /// Whether this instance holds the tenant's lease, and so runs its
    /// processors (ADR 36); tried again at each look.
    leases: Arc<Leases>,
    leader: bool,
    /// Streams folded since what is due on them and their keys were taken.
    touched: HashSet<StreamId>,
}

/// A tenant's part of the index of surveys by tenant.
struct Surveys {
    tenant: Arc<str>,
    index: Arc<RwLock<HashMap<SurveyId, Arc<str>>>>,
}

impl Surveys {
    fn note(&self, survey: SurveyId) {
        self.index
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(survey, self.tenant.clone());
    }
}

impl Head {
    fn new(
        device: DeviceId,
        keys: Arc<RwLock<KeyIndex>>,
        surveys: Surveys,
        leases: Arc<Leases>,
    ) -> Self {
        Head {
            loaded: false,
            portal: Portal::new(),
            streams: HashMap::new(),
            device,
            reacted_through: 0,
            schedule: Schedule::default(),
            paused_until: None,
            imported: Vec::new(),
            importing_until: None,
            keys,
            surveys,
            leases,
            leader: false,
            touched: HashSet::new(),
        }
    }

    /// Records an answer to `survey` that came by its own secret.
    async fn respond(
        &mut self,
        tenant: &str,
        storage: &Storage,
        survey: SurveyId,
        rating: Rating,
        comment: Option<Text>,
        at: DateTime<Utc>,
    ) -> Result<Responded, Refusal> {
        self.load(tenant, storage).await?;
        let refused = |error| Refusal::RuleBroken {
            index: 0,
            command: "RecordSurveyFeedback",
            error,
        };
        match process::answer(
            &self.portal,
            survey,
            rating,
            comment.clone(),
            at,
            self.device,
        ) {
            Ok(issued) => {
                self.write(tenant, storage, &issued).await?;
                Ok(Responded::Recorded)
            }
            Err(error @ DomainError::SurveyAlreadyAnswered { .. }) => {
                let same = self.portal.survey(survey).is_some_and(|s| {
                    matches!(
                        &s.status,
                        SurveyStatus::Answered { rating: r, comment: c, .. }
                            if *r == rating && *c == comment
                    )
                });
                if same {
                    Ok(Responded::AlreadyRecorded)
                } else {
                    Err(refused(error))
                }
            }
            Err(error) => Err(refused(error)),
        }
    }

    /// Notes what a machine token's push folded from log position `from`
    /// on, at `now` (ADR 30).
    fn imported(&mut self, from: usize, now: DateTime<Utc>) {
        let end = self.portal.log().len();
        if from >= end {
            return;
        }
        self.imported.push(from..end);
        self.importing_until = Some(now + IMPORT_QUIET);
    }

    /// Reads the stored log, and what is due in it.
    async fn load(&mut self, tenant: &str, storage: &Storage) -> Result<(), Refusal> {
        if !self.loaded {
            self.catch_up(tenant, storage).await?;
            self.schedule = Schedule::of(&self.portal);
            self.keys
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .rebuild(&self.portal);
            for survey in self.portal.surveys() {
                self.surveys.note(survey.id);
            }
            self.loaded = true;
        }
        Ok(())
    }

    /// How long until the processors have something to do, if anything
    /// is scheduled.
    fn wait(&self, now: DateTime<Utc>) -> Option<std::time::Duration> {
        // Another instance runs the processors: look whether it still does.
        if !self.leader {
            return Some(crate::instances::TRY_AGAIN);
        }
        let next = match self.paused_until {
            Some(until) => until,
            None => {
                let due = self.schedule.next()?;
                // While history is imported, what falls due waits for the
                // quiet after it.
                self.importing_until.map_or(due, |quiet| due.max(quiet))
            }
        };
        Some((next - now).to_std().unwrap_or_default().min(MOST_ASLEEP))
    }

    /// Runs the processors: the reactions to every event not yet reacted
    /// to, then what has fallen due by `clock`'s now, each dated when it
    /// fell due, and the reactions to those. A write that fails (the
    /// database away) pauses them, and they take up where they stopped.
    async fn process(&mut self, tenant: &str, storage: &Storage, clock: &Clock) {
        self.leader = self.leases.hold(tenant).await;
        if !self.leader {
            return;
        }
        let now = clock.now();
        if self.paused_until.is_some_and(|until| until > now) {
            return;
        }
        self.paused_until = None;
        if let Err(e) = self.run_processors(tenant, storage, now).await {
            tracing::warn!(tenant, error = %e, "the processors will try again");
            self.paused_until = Some(now + AFTER_A_FAILURE);
        }
    }

    async fn run_processors(
        &mut self,
        tenant: &str,
        storage: &Storage,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        self.load(tenant, storage).await?;
        self.react(tenant, storage).await?;
        if self.importing_until.is_some_and(|until| until > now) {
            return Ok(());
        }
        self.importing_until = None;
        for (at, due) in self.schedule.take_due(now) {
            let Some(issued) = process::run_due(due, at, &self.portal, self.device) else {
                continue;
            };
            if let Err(e) = self.write(tenant, storage, &issued).await {
                self.schedule.retry(at, due);
                return Err(e);
            }
            self.react(tenant, storage).await?;
        }
        Ok(())
    }

    /// The processors' reactions to the events from `reacted_through` on,
    /// and to what those write in turn.
    async fn react(&mut self, tenant: &str, storage: &Storage) -> Result<(), Refusal> {
        for _ in 0..processors::MAX_REACTIONS {
            let end = self.portal.log().len();
            if self.reacted_through >= end {
                return Ok(());
            }
            let issued: Vec<Issued> = {
                let log = self.portal.log();
                let imported = &self.imported;
                (self.reacted_through..end)
                    .filter(|p| !imported.iter().any(|r| r.contains(p)))
                    .filter_map(|p| log.get(p))
                    .flat_map(|e| processors::reactions(e, &self.portal, self.device))
                    .collect()
            };
            for issued in &issued {
                self.write(tenant, storage, issued).await?;
            }
            self.reacted_through = end;
            self.imported.retain(|r| r.end > end);
        }
        Ok(())
    }

    /// Stores what `issued` gives, if it still gives anything (its work may
    /// be done already), and folds it.
    async fn write(
        &mut self,
        tenant: &str,
        storage: &Storage,
        issued: &Issued,
    ) -> Result<(), Refusal> {
        let Ok(events) = processors::seal(issued, &self.portal) else {
            return Ok(());
        };
        let incoming: Vec<Incoming> = events.iter().map(Incoming::of).collect();
        let placed = match storage.push(tenant, &incoming).await {
            Ok(placed) => placed,
            Err(e @ PushError::VersionConflict { .. }) => {
                // Another writer was first: read what it wrote, and try
                // again once the pause is over.
                self.catch_up(tenant, storage).await?;
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        let new = vec![true; events.len()];
        self.fold_stored(tenant, storage, events, &new, &placed)
            .await
    }

    async fn push(
        &mut self,
        tenant: &str,
        storage: &Storage,
        acting: Option<&Acting>,
        batch: Vec<Pushed>,
    ) -> Result<Vec<Placed>, Refusal> {
        self.load(tenant, storage).await?;
        let (envelopes, incoming): (Vec<Envelope>, Vec<Incoming>) =
            batch.into_iter().map(|p| (p.envelope, p.incoming)).unzip();
        let people = match acting {
            Some(_) if envelopes.iter().any(names_an_owner) => {
                Some(active_people(tenant, storage).await?)
            }
            _ => None,
        };
        let people = people.as_ref();
        let new = match self.check(&envelopes, acting, people) {
            // The state may be behind: another server instance wrote since.
            Err(Refusal::Push(PushError::VersionConflict { .. })) => {
                self.catch_up(tenant, storage).await?;
                self.check(&envelopes, acting, people)?
            }
            other => other?,
        };
        let placed = storage.push(tenant, &incoming).await?;
        self.fold_stored(tenant, storage, envelopes, &new, &placed)
            .await?;
        Ok(placed)
    }

    /// Reads what the log holds beyond this state.
    async fn catch_up(&mut self, tenant: &str, storage: &Storage) -> Result<(), Refusal> {
        loop {
            let after = self.portal.position();
            let rows = storage
                .pull(tenant, after, crate::api::MAX_PAGE, Reading::Bodies)
                .await
                .map_err(|e| Refusal::Unreadable(e.to_string()))?;
            if rows.is_empty() {
                self.settle_touched();
                return Ok(());
            }
            for row in rows {
                let envelope = portal_sync::codec::decode(&row.body).map_err(|e| {
                    Refusal::Unreadable(format!("event {}: {e}", row.global_position))
                })?;
                self.append(Envelope {
                    global_position: Some(row.global_position),
                    recorded_at: Some(row.recorded_at),
                    ..envelope
                });
            }
        }
    }

    fn append(&mut self, envelope: Envelope) {
        let position = self.portal.log().len() as u32;
        self.streams
            .entry(envelope.stream_id)
            .or_default()
            .push(position);
        // The head is only ever appended to, so it is always at its end.
        let stream = envelope.stream_id;
        if let Event::SurveyAdded { survey_id, .. } = &envelope.event {
            if self.loaded {
                self.surveys.note(*survey_id);
            }
        }
        let _ = self.portal.append(envelope);
        // While the log is first read, what is due and the keys are taken
        // once at the end; afterwards, once per stream a batch touched.
        if self.loaded {
            self.touched.insert(stream);
        }
    }

    /// Notes what is due on, and indexes the keys of, every stream folded
    /// since the last time.
    fn settle_touched(&mut self) {
        if self.touched.is_empty() {
            return;
        }
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        for stream in self.touched.drain() {
            self.schedule.note(&self.portal, stream);
            keys.index_app(&self.portal, AppId(stream.0));
        }
    }

    /// Folds what was just stored. Positions that do not follow this
    /// state's (another instance wrote in between) are read from the log.
    async fn fold_stored(
        &mut self,
        tenant: &str,
        storage: &Storage,
        envelopes: Vec<Envelope>,
        new: &[bool],
        placed: &[Placed],
    ) -> Result<(), Refusal> {
        for ((envelope, new), place) in envelopes.into_iter().zip(new).zip(placed) {
            if !*new {
                continue;
            }
            if place.global_position != self.portal.position() + 1 {
                return self.catch_up(tenant, storage).await;
            }
            self.append(Envelope {
                global_position: Some(place.global_position),
                recorded_at: Some(place.recorded_at),
                ..envelope
            });
        }
        self.settle_touched();
        Ok(())
    }

    /// Decides each command of `batch` again. Which events are new (the
    /// rest are at versions the stream already has: stored before, which
    /// the storage confirms, or stale, which it refuses).
    fn check(
        &self,
        batch: &[Envelope],
        acting: Option<&Acting>,
        people: Option<&HashSet<String>>,
    ) -> Result<Vec<bool>, Refusal> {
        let groups = commands(batch);
        let mut left: HashMap<StreamId, usize> = HashMap::new();
        for group in &groups {
            *left.entry(group[0].stream_id).or_default() += 1;
        }
        // Streams with more than one command in the batch, each folded on
        // its own with the batch's events so far.
        let mut apart: HashMap<StreamId, Portal> = HashMap::new();
        let mut new = Vec::with_capacity(batch.len());
        let mut index = 0;
        for group in groups {
            let first = &group[0];
            let stream = first.stream_id;
            let at = index;
            index += group.len();
            let remaining = left.get_mut(&stream).map_or(0, |n| {
                *n -= 1;
                *n
            });
            let state_of = apart.get(&stream).unwrap_or(&self.portal);
            let current = state_of.version_of(stream);
            if first.stream_version <= current {
                new.extend(std::iter::repeat_n(false, group.len()));
                continue;
            }
            if first.stream_version != current + 1 {
                return Err(PushError::VersionConflict {
                    stream: stream.to_string(),
                    event_id: first.event_id.to_string(),
                    expected: first.stream_version - 1,
                    current,
                }
                .into());
            }
            let (command, meta) = recover(group).ok_or_else(|| Refusal::NotDecided {
                index: at,
                why: "these events are no command's: a command's events travel together".into(),
            })?;
            if let Some(other) = group.iter().find(|e| e.actor != meta.actor) {
                return Err(Refusal::NotDecided {
                    index: at,
                    why: format!(
                        "one command's events name two actors ({} and {})",
                        meta.actor, other.actor
                    ),
                });
            }
            if command.action.stream_id() != stream {
                return Err(Refusal::NotDecided {
                    index: at,
                    why: format!("{} is not a command on this stream", command.action.name()),
                });
            }
            let state = state_of.stream_state(&command);
            if let Some(acting) = acting {
                acting
                    .allows(&command, &meta.actor, &state)
                    .map_err(|(code, why)| Refusal::Forbidden {
                        index: at,
                        command: command.action.name(),
                        code,
                        why,
                    })?;
            }
            if let Some(people) = people {
                owner_known(&command, |who| people.contains(who)).map_err(Refusal::UnknownOwner)?;
            }
            let decided = decide(&command, state).map_err(|error| Refusal::RuleBroken {
                index: at,
                command: command.action.name(),
                error,
            })?;
            let sent: Vec<_> = group.iter().map(|e| &e.event).collect();
            if decided.iter().ne(sent.iter().copied()) {
                return Err(Refusal::NotDecided {
                    index: at,
                    why: format!(
                        "{} decided now gives other events than these",
                        command.action.name()
                    ),
                });
            }
            new.extend(std::iter::repeat_n(true, group.len()));
            if remaining > 0 {
                let portal = apart
                    .entry(stream)
                    .or_insert_with(|| self.stream_alone(stream));
                for envelope in group {
                    let _ = portal.append(envelope.clone());
                }
            }
        }
        Ok(new)
    }

    /// One stream's events folded on their own, with the catalogue's
    /// (which `decide` checks an application's products against): its
    /// state, as `decide` sees it, without the rest of the log.
    fn stream_alone(&self, stream: StreamId) -> Portal {
        let log = self.portal.log();
        let catalogue = self.portal.catalogue().into_iter().map(|p| p.id.into());
        let mut positions: Vec<u32> = std::iter::once(stream)
            .chain(catalogue)
            .filter_map(|s| self.streams.get(&s))
            .flatten()
            .copied()
            .collect();
        positions.sort_unstable();
        positions.dedup();
        Portal::fold(positions.iter().filter_map(|p| log.get(*p as usize)))
    }
}

/// Whether `envelope` may set an application's owner (its creation, or a
/// hand-over).
fn names_an_owner(envelope: &Envelope) -> bool {
    matches!(
        envelope.event,
        Event::ApplicationInsert(_) | Event::OwnerChanged { .. }
    )
}

/// The emails of `tenant`'s active people.
async fn active_people(tenant: &str, storage: &Storage) -> Result<HashSet<String>, Refusal> {
    let people = storage
        .people(Some(tenant))
        .await
        .map_err(|e| Refusal::Unreadable(format!("the people could not be read: {e}")))?;
    Ok(people
        .into_iter()
        .filter(|p| !p.disabled)
        .map(|p| p.email)
        .collect())
}

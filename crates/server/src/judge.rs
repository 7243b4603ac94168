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

use crate::storage::{Incoming, PushError, Reading, Storage};
use portal_domain::recover::{commands, recover};
use portal_domain::{
    decide, may, owner_known, Actor, Command, DomainError, Envelope, Event, Person, Portal, Role,
    StreamId, StreamState, UnknownOwner,
};
use portal_sync::Placed;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
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

/// The person a push comes from, when it is a person's token.
#[derive(Clone, Debug)]
pub struct Acting {
    pub actor: Actor,
    pub role: Role,
    /// Whether this server lets devices write the processes' events.
    pub device_processes: bool,
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
        if action.is_process_only() && actor.is_process() && self.device_processes {
            return Ok(());
        }
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

struct Job {
    acting: Option<Acting>,
    batch: Vec<Pushed>,
    reply: oneshot::Sender<Result<Vec<Placed>, Refusal>>,
}

/// The deciding threads, one per tenant, started on a tenant's first push.
pub struct Judges {
    storage: Arc<Storage>,
    tenants: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
}

impl Judges {
    pub fn new(storage: Arc<Storage>) -> Self {
        Judges {
            storage,
            tenants: Mutex::new(HashMap::new()),
        }
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
            .send(Job {
                acting,
                batch,
                reply,
            })
            .map_err(|_| Refusal::Unreadable("the tenant's judge has stopped".into()))?;
        answer
            .await
            .map_err(|_| Refusal::Unreadable("the tenant's judge has stopped".into()))?
    }

    fn sender(&self, tenant: &str) -> Result<mpsc::UnboundedSender<Job>, Refusal> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = tenants.get(tenant).filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let (sender, jobs) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Handle::current();
        let (storage, name) = (self.storage.clone(), tenant.to_owned());
        std::thread::Builder::new()
            .name(format!("judge {tenant}"))
            .spawn(move || runtime.block_on(judge(name, storage, jobs)))
            .map_err(|e| Refusal::Unreadable(format!("no thread to decide on: {e}")))?;
        tenants.insert(tenant.to_owned(), sender.clone());
        Ok(sender)
    }
}

async fn judge(tenant: String, storage: Arc<Storage>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut head = Head::default();
    while let Some(job) = jobs.recv().await {
        let answer = head
            .push(&tenant, &storage, job.acting.as_ref(), job.batch)
            .await;
        // The caller may have gone (the request was cancelled): nothing to tell.
        let _ = job.reply.send(answer);
    }
}

/// A tenant's log as the server decides against it.
#[derive(Default)]
struct Head {
    /// Whether the stored log has been read since the thread started.
    loaded: bool,
    portal: Portal,
    /// Each stream's events, by log position: a stream's state on its own,
    /// for a batch with several commands on one stream.
    streams: HashMap<StreamId, Vec<u32>>,
}

impl Head {
    async fn push(
        &mut self,
        tenant: &str,
        storage: &Storage,
        acting: Option<&Acting>,
        batch: Vec<Pushed>,
    ) -> Result<Vec<Placed>, Refusal> {
        if !self.loaded {
            self.catch_up(tenant, storage).await?;
            self.loaded = true;
        }
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
        let _ = self.portal.append(envelope);
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

    /// One stream's events folded on their own: its state, as `decide`
    /// sees it, without the rest of the log.
    fn stream_alone(&self, stream: StreamId) -> Portal {
        let log = self.portal.log();
        let positions = self.streams.get(&stream).map(Vec::as_slice).unwrap_or(&[]);
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

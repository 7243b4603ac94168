//! The store's logic, written once over a [`Backend`]: the in-memory store
//! and IndexedDB differ only in where chunks and metadata live. Every write
//! runs in one backend transaction that first re-reads the head, so two
//! handles (two tabs) never overwrite each other: IndexedDB serialises
//! read-write transactions, and the later one sees the earlier one's events.

use crate::catalog::Catalog;
pub use crate::catalog::Head;
use crate::chunk::{self, decode_chunks, decode_sync, encode_sync, Chunk, MAX_CHUNK_EVENTS};
use crate::contract::{
    Appended, Change, Checkpoint, EventStore, Imported, Loaded, StoredEvent, SyncState,
};
use crate::error::StoreError;
use portal_domain::{DeviceId, Envelope, EventId, StreamId};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::future::Future;
use uuid::Uuid;

/// The storage layout version. 1 kept one record per event (NDJSON text);
/// 2 keeps chunks (see `chunk.rs`) and migrates a version 1 log on open.
pub const STORE_SCHEMA: u32 = 2;

/// After this many appended chunks, they are merged into one, so that loads
/// keep reading few records however the log was written.
pub const COMPACT_AFTER: u32 = 64;

/// Loads ask for the log in pages of this many positions, all at once.
pub const READ_PAGE: u64 = 8 * 1024;

/// How an optimistic append ended when it did not commit.
enum Speculation {
    /// Another handle wrote first: start again, reading before writing.
    Stale,
    Failed(StoreError),
}

impl From<StoreError> for Speculation {
    fn from(e: StoreError) -> Self {
        Speculation::Failed(e)
    }
}

struct ImportDone {
    imported: Imported,
    head: Head,
}

/// The largest chunk an import writes.
pub const IMPORT_CHUNK_EVENTS: usize = 2048;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

pub mod meta {
    pub const HEAD: &str = "head";
    pub const DEVICE: &str = "device";
    pub const PULLED: &str = "pulled";
    pub const CHECKPOINT: &str = "checkpoint";
}

/// A transaction. Reads are sent when they are made and awaited later, so
/// a transaction's requests travel together. Writes are sent and not
/// awaited: a failed one aborts the transaction, and `commit` reports it.
/// Dropping a transaction without `commit` must not keep its writes (the
/// engine always ends one explicitly, since IndexedDB would commit).
#[allow(async_fn_in_trait)]
pub trait Tx {
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>>;
    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Chunks whose first position is in `from..to`, in order.
    async fn chunks(&self, from: u64, to: Option<u64>) -> Result<Vec<Chunk>, StoreError>;
    /// The same, asked for in pages of `page` positions all at once and
    /// handed to `each` in order as they arrive, so that decoding one page
    /// overlaps reading the next.
    async fn chunk_pages(
        &self,
        from: u64,
        to: u64,
        page: u64,
        each: &mut dyn FnMut(Vec<Chunk>),
    ) -> Result<(), StoreError>;
    /// The chunk with the greatest first position not after `position`.
    async fn chunk_at_or_before(&self, position: u64) -> Result<Option<Chunk>, StoreError>;
    fn put_chunk(&self, chunk: &Chunk) -> Result<(), StoreError>;
    /// Deletes the chunks whose first position is in `from..to`.
    fn delete_chunks(&self, from: u64, to: u64) -> Result<(), StoreError>;
    /// Records in the layout of schema version 1: key and NDJSON line.
    async fn legacy_events(&self) -> Result<Vec<(u64, String)>, StoreError>;
    fn delete_legacy(&self, key: u64) -> Result<(), StoreError>;
    async fn commit(self) -> Result<(), StoreError>;
    async fn abort(self);
}

#[allow(async_fn_in_trait)]
pub trait Backend {
    type Tx: Tx;
    async fn begin(&self, mode: Mode) -> Result<Self::Tx, StoreError>;
    /// Tells the other handles on the same database.
    fn notify(&self, change: &Change);
}

/// A fault to inject, for tests of what an interrupted write leaves behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The next write transaction is aborted after this many writes went out.
    AbortAfterWrites(u32),
}

/// A legacy (schema 1) record the migration could not read: left where it
/// was, untouched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmigrated {
    pub key: u64,
    pub reason: String,
}

pub struct Engine<B: Backend> {
    backend: B,
    catalog: RefCell<Catalog>,
    fault: Cell<Option<Fault>>,
    unmigrated: RefCell<Vec<Unmigrated>>,
}

/// Counts writes, so that an injected fault can stop a transaction midway.
pub struct Writes {
    done: u32,
    fault: Option<Fault>,
}

impl Writes {
    fn next(&mut self) -> Result<(), StoreError> {
        if let Some(Fault::AbortAfterWrites(n)) = self.fault {
            if self.done == n {
                return Err(StoreError::Aborted(format!(
                    "a fault was injected after {n} writes"
                )));
            }
        }
        self.done += 1;
        Ok(())
    }
}

fn decode_meta<T: for<'de> Deserialize<'de>>(bytes: Option<Vec<u8>>) -> Option<T> {
    bytes.and_then(|b| postcard::from_bytes(&b).ok())
}

fn encode_meta<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard encodes metadata into a Vec")
}

impl<B: Backend> Engine<B> {
    /// Wraps `backend`, moving a schema 1 log into chunks if there is one.
    pub async fn over(backend: B) -> Result<Self, StoreError> {
        let engine = Engine {
            backend,
            catalog: RefCell::default(),
            fault: Cell::new(None),
            unmigrated: RefCell::default(),
        };
        engine.migrate_legacy().await?;
        Ok(engine)
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Arms a fault for the next write transaction (tests only).
    pub fn inject_fault(&self, fault: Fault) {
        self.fault.set(Some(fault));
    }

    /// Schema 1 records that could not be migrated, and why.
    pub fn unmigrated(&self) -> Vec<Unmigrated> {
        self.unmigrated.borrow().clone()
    }

    /// Runs `body` in a write transaction, committing on success and
    /// aborting on any error, so that a failure keeps nothing.
    async fn write<T, E: From<StoreError>>(
        &self,
        body: impl AsyncFnOnce(&B::Tx, &mut Writes) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.backend.begin(Mode::Write).await?;
        let mut writes = Writes {
            done: 0,
            fault: self.fault.take(),
        };
        match body(&tx, &mut writes).await {
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(error) => {
                tx.abort().await;
                Err(error)
            }
        }
    }

    /// Writes one command's chunk after `head`, and the head that follows.
    fn put_command(
        &self,
        tx: &B::Tx,
        writes: &mut Writes,
        mut head: Head,
        frames: &[Vec<u8>],
    ) -> Result<(Appended, Head), StoreError> {
        let states = vec![SyncState::Pending; frames.len()];
        let chunk = Chunk::new(head.len, frames, &states);
        writes.next()?;
        tx.put_chunk(&chunk)?;
        let positions = head.len..chunk.end();
        head.len = chunk.end();
        head.tail_chunks += 1;
        writes.next()?;
        tx.put_meta(meta::HEAD, &encode_meta(&head))?;
        Ok((
            Appended {
                positions,
                already_stored: false,
            },
            head,
        ))
    }

    async fn head(tx: &B::Tx) -> Result<Head, StoreError> {
        Ok(decode_meta(tx.meta(meta::HEAD).await?).unwrap_or_default())
    }

    /// Brings the catalog up to `head`, reading what other handles wrote.
    async fn catch_up(&self, tx: &B::Tx, head: &Head) -> Result<(), StoreError> {
        let known = self.catalog.borrow().known_len();
        if *head == self.catalog.borrow().head {
            return Ok(());
        }
        let from = if head.len < known {
            // The log is shorter than we knew: local data was reset elsewhere.
            *self.catalog.borrow_mut() = Catalog::default();
            0
        } else {
            known.saturating_sub(MAX_CHUNK_EVENTS - 1)
        };
        let chunks = tx.chunks(from, None).await?;
        self.catalog.borrow_mut().learn(&chunks, *head);
        Ok(())
    }

    /// Whether each of `events` (already framed) is stored: `Some(position)`
    /// when it is with the same content; an error when it is with other content.
    async fn find_stored(
        &self,
        tx: &B::Tx,
        events: &[(&Envelope, &[u8])],
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let mut cache: FxHashMap<u64, Chunk> = FxHashMap::default();
        let mut found = Vec::with_capacity(events.len());
        for (envelope, frame) in events {
            let position = self.catalog.borrow().position(envelope.event_id);
            let Some(position) = position else {
                found.push(None);
                continue;
            };
            let cached = cache.values().find(|c| c.contains(position)).cloned();
            let chunk = match cached {
                Some(chunk) => chunk,
                None => {
                    let chunk = tx.chunk_at_or_before(position).await?.ok_or_else(|| {
                        StoreError::Backend(format!(
                            "the record holding position {position} is missing"
                        ))
                    })?;
                    cache.insert(chunk.first, chunk.clone());
                    chunk
                }
            };
            if chunk.frame_at(position) != Some(*frame) {
                return Err(StoreError::IdReused {
                    event_id: envelope.event_id,
                });
            }
            found.push(Some(position));
        }
        Ok(found)
    }

    async fn migrate_legacy(&self) -> Result<(), StoreError> {
        let migrated = self
            .write(async |tx, writes| {
                let legacy = tx.legacy_events().await?;
                if legacy.is_empty() {
                    return Ok(None);
                }
                let mut events = Vec::new();
                let mut keys = Vec::new();
                let mut unreadable = Vec::new();
                for (key, line) in legacy {
                    match portal_sync::codec::decode(&line) {
                        Ok(envelope) => {
                            events.push((envelope, SyncState::Pending));
                            keys.push(key);
                        }
                        Err(e) => unreadable.push(Unmigrated {
                            key,
                            reason: e.to_string(),
                        }),
                    }
                }
                let imported = self.import_in(tx, writes, events).await?;
                for key in keys {
                    writes.next()?;
                    tx.delete_legacy(key)?;
                }
                Ok(Some((imported, unreadable)))
            })
            .await?;
        if let Some((imported, unreadable)) = migrated {
            *self.unmigrated.borrow_mut() = unreadable;
            let (imported, written) = imported;
            self.learn_written(imported.head, written);
        }
        Ok(())
    }

    /// Records what a committed write added to the catalog. Every write
    /// caught the catalog up inside its transaction first, so afterwards it
    /// knows the log up to the head that write left.
    fn learn_written(&self, head: Head, written: Vec<(u64, EventId, StreamId, u64)>) {
        let mut catalog = self.catalog.borrow_mut();
        for (position, id, stream, version) in written {
            catalog.observe(position, id, stream, version);
        }
        catalog.head = head;
    }

    /// The import itself, inside `tx`; returns what to learn after commit.
    async fn import_in(
        &self,
        tx: &B::Tx,
        writes: &mut Writes,
        events: Vec<(Envelope, SyncState)>,
    ) -> Result<(ImportDone, Vec<(u64, EventId, StreamId, u64)>), StoreError> {
        let frames: Vec<Vec<u8>> = events.iter().map(|(e, _)| chunk::frame_of(e)).collect();
        let mut seen = FxHashSet::default();
        for (envelope, _) in &events {
            if !seen.insert(envelope.event_id) {
                return Err(StoreError::InvalidBatch(format!(
                    "event {} appears twice in one batch",
                    envelope.event_id
                )));
            }
        }
        let mut head = Self::head(tx).await?;
        self.catch_up(tx, &head).await?;
        let pairs: Vec<(&Envelope, &[u8])> = events
            .iter()
            .zip(&frames)
            .map(|((e, _), f)| (e, f.as_slice()))
            .collect();
        let stored = self.find_stored(tx, &pairs).await?;

        let mut versions: FxHashMap<StreamId, u64> = FxHashMap::default();
        let mut new_frames = Vec::new();
        let mut new_states = Vec::new();
        let mut written = Vec::new();
        let mut skipped = 0;
        for (((envelope, state), frame), stored) in events.into_iter().zip(frames).zip(stored) {
            if stored.is_some() {
                skipped += 1;
                continue;
            }
            let stream = envelope.stream_id;
            let current = *versions
                .entry(stream)
                .or_insert_with(|| self.catalog.borrow().version(stream));
            if envelope.stream_version != current + 1 {
                return Err(StoreError::Conflict {
                    stream,
                    expected: envelope.stream_version.saturating_sub(1),
                    actual: current,
                });
            }
            versions.insert(stream, envelope.stream_version);
            let position = head.len + new_frames.len() as u64;
            written.push((position, envelope.event_id, stream, envelope.stream_version));
            new_frames.push(frame);
            new_states.push(state);
        }
        let start = head.len;
        for (frames, states) in new_frames
            .chunks(IMPORT_CHUNK_EVENTS)
            .zip(new_states.chunks(IMPORT_CHUNK_EVENTS))
        {
            writes.next()?;
            tx.put_chunk(&Chunk::new(head.len, frames, states))?;
            head.len += frames.len() as u64;
        }
        if head.len != start {
            // Chunks appended before stay as they are; compaction starts after.
            head.tail_start = head.len;
            head.tail_chunks = 0;
            writes.next()?;
            tx.put_meta(meta::HEAD, &encode_meta(&head))?;
        }
        Ok((
            ImportDone {
                imported: Imported {
                    positions: start..head.len,
                    skipped,
                },
                head,
            },
            written,
        ))
    }

    /// Merges the appended chunks since the last compaction into as few
    /// chunks as `MAX_CHUNK_EVENTS` allows.
    async fn compact(&self) -> Result<(), StoreError> {
        let compacted = self
            .write(async |tx, writes| {
                let mut head = Self::head(tx).await?;
                if head.tail_chunks < COMPACT_AFTER {
                    return Ok(None);
                }
                let before = head;
                let tail = tx.chunks(head.tail_start, None).await?;
                let mut merged: Vec<Chunk> = Vec::new();
                for chunk in tail {
                    match merged.last_mut() {
                        Some(last)
                            if u64::from(last.count + chunk.count) <= MAX_CHUNK_EVENTS
                                && last.end() == chunk.first =>
                        {
                            let mut states = decode_sync(last);
                            states.extend(decode_sync(&chunk));
                            last.events.extend_from_slice(&chunk.events);
                            last.count += chunk.count;
                            last.sync = encode_sync(&states);
                        }
                        _ => merged.push(chunk),
                    }
                }
                writes.next()?;
                tx.delete_chunks(head.tail_start, head.len)?;
                for chunk in &merged {
                    writes.next()?;
                    tx.put_chunk(chunk)?;
                }
                head.tail_start = head.len;
                head.tail_chunks = 0;
                writes.next()?;
                tx.put_meta(meta::HEAD, &encode_meta(&head))?;
                Ok(Some((before, head)))
            })
            .await?;
        let mut catalog = self.catalog.borrow_mut();
        if let Some((before, after)) = compacted {
            if catalog.head == before {
                catalog.head = after;
            }
        }
        Ok(())
    }

    async fn read(&self, from: u64, to: Option<u64>) -> Result<Loaded, StoreError> {
        let tx = self.backend.begin(Mode::Read).await?;
        let head = Self::head(&tx).await?;
        let lower = from.saturating_sub(MAX_CHUNK_EVENTS - 1);
        let mut loaded = Loaded {
            head: head.len,
            ..Loaded::default()
        };
        loaded
            .events
            .reserve(head.len.saturating_sub(from) as usize);
        let end = to.unwrap_or(head.len.max(lower + 1));
        tx.chunk_pages(lower, end, READ_PAGE, &mut |chunks| {
            decode_chunks(&chunks, from, &mut loaded);
        })
        .await?;
        if let Some(to) = to {
            loaded.events.retain(|e| e.position < to);
        }
        tx.commit().await?;
        // A read to the end teaches the catalog what it did not know yet.
        let mut catalog = self.catalog.borrow_mut();
        if from == 0 && to.is_none() {
            *catalog = Catalog::default();
        }
        if to.is_none() && from <= catalog.known_len() && catalog.head != head {
            let known = catalog.known_len();
            for event in loaded.events.iter().filter(|e| e.position >= known) {
                let e_ = &event.envelope;
                catalog.observe(event.position, e_.event_id, e_.stream_id, e_.stream_version);
            }
            catalog.head = head;
        }
        Ok(loaded)
    }
}

impl<B: Backend> EventStore for Engine<B> {
    async fn append(
        &self,
        expected_version: u64,
        events: &[Envelope],
    ) -> Result<Appended, StoreError> {
        let Some(first) = events.first() else {
            return Err(StoreError::InvalidBatch(
                "a command stored no events".into(),
            ));
        };
        if events.len() as u64 > MAX_CHUNK_EVENTS {
            return Err(StoreError::InvalidBatch(format!(
                "a command may store at most {MAX_CHUNK_EVENTS} events, not {}",
                events.len()
            )));
        }
        let stream = first.stream_id;
        for (envelope, version) in events.iter().zip(expected_version + 1..) {
            if envelope.stream_id != stream {
                return Err(StoreError::InvalidBatch(
                    "one command's events must belong to one stream".into(),
                ));
            }
            if envelope.stream_version != version {
                return Err(StoreError::InvalidBatch(format!(
                    "event {} has stream version {}, but follows version {}",
                    envelope.event_id,
                    envelope.stream_version,
                    version - 1
                )));
            }
        }
        let frames: Vec<Vec<u8>> = events.iter().map(chunk::frame_of).collect();
        let pairs: Vec<(&Envelope, &[u8])> = events
            .iter()
            .zip(&frames)
            .map(|(e, f)| (e, f.as_slice()))
            .collect();

        // What this handle believes: when it is right (no other tab wrote
        // since it last looked), the writes go out with the head read, and
        // the whole append costs one round trip.
        let believed = {
            let catalog = self.catalog.borrow();
            let fresh = events
                .iter()
                .all(|e| catalog.position(e.event_id).is_none());
            (fresh && catalog.version(stream) == expected_version).then_some(catalog.head)
        };
        let speculated = match believed {
            Some(known) => match self
                .write(async |tx, writes| {
                    let head_read = tx.meta(meta::HEAD);
                    let (appended, next) = self.put_command(tx, writes, known, &frames)?;
                    let head: Head = decode_meta(head_read.await?).unwrap_or_default();
                    if head == known {
                        Ok((appended, Some(next)))
                    } else {
                        Err(Speculation::Stale)
                    }
                })
                .await
            {
                Ok(done) => Some(done),
                Err(Speculation::Stale) => None,
                Err(Speculation::Failed(e)) => return Err(e),
            },
            None => None,
        };
        let (appended, head) = match speculated {
            Some(done) => done,
            None => {
                self.write(async |tx, writes| {
                    let head = Self::head(tx).await?;
                    self.catch_up(tx, &head).await?;
                    let stored = self.find_stored(tx, &pairs).await?;
                    if let Some(Some(at)) = stored.first() {
                        if stored.iter().all(Option::is_some) {
                            return Ok((
                                Appended {
                                    positions: *at..*at + events.len() as u64,
                                    already_stored: true,
                                },
                                None,
                            ));
                        }
                    }
                    if let Some(i) = stored.iter().position(Option::is_some) {
                        return Err(StoreError::IdReused {
                            event_id: events[i].event_id,
                        });
                    }
                    let actual = self.catalog.borrow().version(stream);
                    if actual != expected_version {
                        return Err(StoreError::Conflict {
                            stream,
                            expected: expected_version,
                            actual,
                        });
                    }
                    let (appended, next) = self.put_command(tx, writes, head, &frames)?;
                    Ok((appended, Some(next)))
                })
                .await?
            }
        };
        if let Some(head) = head {
            self.learn_written(
                head,
                events
                    .iter()
                    .zip(appended.positions.clone())
                    .map(|(e, p)| (p, e.event_id, e.stream_id, e.stream_version))
                    .collect(),
            );
            self.backend.notify(&Change::Appended { head: head.len });
            if head.tail_chunks >= COMPACT_AFTER {
                // Compaction only makes later loads faster; the append
                // has committed whether or not it succeeds.
                let _ = self.compact().await;
            }
        }
        Ok(appended)
    }

    async fn import(&self, events: Vec<(Envelope, SyncState)>) -> Result<Imported, StoreError> {
        let (done, written) = self
            .write(async |tx, writes| self.import_in(tx, writes, events).await)
            .await?;
        if !written.is_empty() {
            self.learn_written(done.head, written);
            self.backend.notify(&Change::Appended {
                head: done.head.len,
            });
        }
        Ok(done.imported)
    }

    async fn read_all(&self) -> Result<Loaded, StoreError> {
        self.read(0, None).await
    }

    async fn read_from(&self, from: u64) -> Result<Loaded, StoreError> {
        self.read(from, None).await
    }

    async fn read_stream(&self, stream: StreamId) -> Result<Vec<StoredEvent>, StoreError> {
        // Bring the catalog up to date, so the span below is complete.
        let head = {
            let tx = self.backend.begin(Mode::Read).await?;
            let head = Self::head(&tx).await?;
            self.catch_up(&tx, &head).await?;
            tx.commit().await?;
            head
        };
        let Some(span) = self.catalog.borrow().span(stream) else {
            return Ok(Vec::new());
        };
        let loaded = self
            .read(span.first, Some((span.last + 1).min(head.len.max(1))))
            .await?;
        Ok(loaded
            .events
            .into_iter()
            .filter(|e| e.envelope.stream_id == stream)
            .collect())
    }

    async fn set_sync_states(&self, updates: &[(EventId, SyncState)]) -> Result<(), StoreError> {
        self.write(async |tx, writes| {
            let head = Self::head(tx).await?;
            self.catch_up(tx, &head).await?;
            let mut by_position = Vec::with_capacity(updates.len());
            for (event_id, state) in updates {
                let position = self.catalog.borrow().position(*event_id);
                let position = position.ok_or(StoreError::UnknownEvent {
                    event_id: *event_id,
                })?;
                by_position.push((position, state));
            }
            by_position.sort_by_key(|(p, _)| *p);
            let mut current: Option<(Chunk, Vec<SyncState>)> = None;
            for (position, state) in by_position {
                if !current.as_ref().is_some_and(|(c, _)| c.contains(position)) {
                    if let Some((mut chunk, states)) = current.take() {
                        chunk.sync = encode_sync(&states);
                        writes.next()?;
                        tx.put_chunk(&chunk)?;
                    }
                    let chunk = tx.chunk_at_or_before(position).await?.ok_or_else(|| {
                        StoreError::Backend(format!(
                            "the record holding position {position} is missing"
                        ))
                    })?;
                    let states = decode_sync(&chunk);
                    current = Some((chunk, states));
                }
                if let Some((chunk, states)) = current.as_mut() {
                    states[(position - chunk.first) as usize] = state.clone();
                }
            }
            if let Some((mut chunk, states)) = current {
                chunk.sync = encode_sync(&states);
                writes.next()?;
                tx.put_chunk(&chunk)?;
            }
            Ok(())
        })
        .await?;
        self.backend.notify(&Change::SyncStates);
        Ok(())
    }

    async fn claim_device_id(&self, candidate: DeviceId) -> Result<DeviceId, StoreError> {
        self.write(async |tx, writes| {
            if let Some(id) = decode_meta::<Uuid>(tx.meta(meta::DEVICE).await?) {
                return Ok(DeviceId(id));
            }
            writes.next()?;
            tx.put_meta(meta::DEVICE, &encode_meta(&candidate.0))?;
            Ok(candidate)
        })
        .await
    }

    async fn last_pulled(&self) -> Result<u64, StoreError> {
        let tx = self.backend.begin(Mode::Read).await?;
        let pulled = decode_meta(tx.meta(meta::PULLED).await?).unwrap_or(0);
        tx.commit().await?;
        Ok(pulled)
    }

    async fn set_last_pulled(&self, global_position: u64) -> Result<(), StoreError> {
        self.write(async |tx, writes| {
            writes.next()?;
            tx.put_meta(meta::PULLED, &encode_meta(&global_position))
        })
        .await
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.write(async |tx, writes| {
            writes.next()?;
            tx.put_meta(meta::CHECKPOINT, &encode_meta(checkpoint))
        })
        .await
    }

    async fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let tx = self.backend.begin(Mode::Read).await?;
        let checkpoint = decode_meta(tx.meta(meta::CHECKPOINT).await?);
        tx.commit().await?;
        Ok(checkpoint)
    }

    fn schema_version(&self) -> u32 {
        STORE_SCHEMA
    }
}

//! The store's logic, written once over a [`Backend`]: the in-memory store
//! and IndexedDB differ only in where chunks and metadata live. Every write
//! runs in one backend transaction. An append claims the position it
//! believes is the end (see [`Tx`]); every other write reads where the log
//! ends and catches up first. IndexedDB serialises read-write transactions,
//! so two handles (two tabs) never overwrite each other.

use crate::catalog::Catalog;
use crate::chunk::{
    self, decode_chunks, decode_header, decode_sync, encode_sync, Chunk, MAX_CHUNK_EVENTS,
};
use crate::contract::{
    Appended, Checkpoint, EventStore, Imported, Loaded, Notice, StoredEvent, SyncState,
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

/// After this many appends by one handle, it moves the chunks appended since
/// the last compaction into segments, so that loads keep reading few records
/// however the log was written.
pub const COMPACT_AFTER: u32 = 64;

/// Loads ask for the log in pages of this many positions, all at once.
pub const READ_PAGE: u64 = 8 * 1024;

/// The largest chunk an import writes.
pub const IMPORT_CHUNK_EVENTS: usize = 2048;

/// The segment key ranges `segment_pages` asks for: `(after, until]` for
/// each page, the last one open-ended.
pub fn page_bounds(after: u64, page: u64, pages: u64) -> impl Iterator<Item = (u64, Option<u64>)> {
    (0..pages).map(move |i| {
        let lower = after + i * page;
        (lower, (i + 1 < pages).then_some(lower + page))
    })
}

/// An event a write stored, for the catalog to learn once it commits.
struct Written {
    position: u64,
    id: EventId,
    stream: StreamId,
    version: u64,
    live: bool,
}

struct ImportDone {
    imported: Imported,
    len: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

pub mod meta {
    /// Where compaction has got to: chunks ending after it may be merged.
    pub const COMPACTED: &str = "compacted";
    pub const DEVICE: &str = "device";
    pub const PULLED: &str = "pulled";
    pub const CHECKPOINT: &str = "checkpoint";
}

/// Where a stored chunk lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The `chunks` store, keyed by first position: what appends write.
    Chunks,
    /// The `segments` store, keyed by end position: imports and compaction.
    Segments,
}

/// A transaction over the two stores the log is kept in (see ADR 7).
///
/// `chunks` is keyed by first position and never loses a key: every write
/// of the log leaves a record there at the position it began (the chunk
/// itself, or a stub of no events once the chunk has moved to `segments`),
/// so an append that `add`s its chunk at the position it believes is the
/// end fails exactly when another handle wrote there first.
///
/// `meta`, `log_end` and `add_chunk` are sent when they are made and awaited
/// later, so a transaction's requests travel together. Writes are sent and
/// not awaited: a failed one aborts the transaction, and `commit` reports it. Dropping a transaction
/// without `commit` must not keep its writes (the engine always ends one
/// explicitly, since IndexedDB would commit).
#[allow(async_fn_in_trait)]
pub trait Tx {
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>>;
    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Where the log ends: after the last segment or the last chunk.
    fn log_end(&self) -> impl Future<Output = Result<u64, StoreError>>;
    /// Adds `chunk` under its first position; `false` when a record is
    /// already there (the transaction is then lost, and must be aborted).
    fn add_chunk(&self, chunk: &Chunk) -> impl Future<Output = Result<bool, StoreError>>;
    /// Adds `chunk` under its first position and commits at once, without
    /// waiting for the add on its own; `false`, with nothing written, when
    /// a record is already there.
    async fn claim(self, chunk: &Chunk) -> Result<bool, StoreError>;
    /// Writes `chunk` where it lives, over what is there.
    fn put(&self, place: Place, chunk: &Chunk) -> Result<(), StoreError>;
    /// Records of `chunks` from first position `from` on, stubs included.
    async fn chunks_from(&self, from: u64) -> Result<Vec<Chunk>, StoreError>;
    /// Segments ending after `after`, asked for in pages of `page`
    /// positions all at once and handed to `each` in order as they arrive,
    /// so that decoding one page overlaps reading the next.
    async fn segment_pages(
        &self,
        after: u64,
        page: u64,
        pages: u64,
        each: &mut dyn FnMut(Vec<Chunk>),
    ) -> Result<(), StoreError>;
    /// The chunk or segment holding `position`, and where it lives.
    async fn holding(&self, position: u64) -> Result<Option<(Place, Chunk)>, StoreError>;
    /// Records in the layout of schema version 1: key and NDJSON line.
    async fn legacy_events(&self) -> Result<Vec<(u64, String)>, StoreError>;
    /// The keys of those records, without reading the records.
    async fn legacy_keys(&self) -> Result<Vec<u64>, StoreError>;
    fn delete_legacy(&self, key: u64) -> Result<(), StoreError>;
    async fn commit(self) -> Result<(), StoreError>;
    async fn abort(self);
}

#[allow(async_fn_in_trait)]
pub trait Backend {
    type Tx: Tx;
    async fn begin(&self, mode: Mode) -> Result<Self::Tx, StoreError>;
    /// Tells the other handles on the same database.
    fn notify(&self, change: &Notice);
    /// Whether the database was closed under this handle (see
    /// [`EventStore::is_closed`]).
    fn is_closed(&self) -> bool {
        false
    }
}

/// A fault to inject, for tests of what an interrupted write leaves behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The next write transaction that sends this many writes is aborted
    /// right after them (before its next write, or instead of committing).
    AbortAfterWrites(u32),
}

/// Reads schema 1 records (one JSON envelope per line): each line's
/// envelope, or why it could not be read, in order.
pub trait LegacyReader: AsyncFnOnce(Vec<String>) -> Vec<Result<Envelope, String>> {}
impl<F: AsyncFnOnce(Vec<String>) -> Vec<Result<Envelope, String>>> LegacyReader for F {}

/// Reads schema 1 records with the JSON decoder.
pub fn read_legacy_lines(lines: &[String]) -> Vec<Result<Envelope, String>> {
    lines
        .iter()
        .map(|line| portal_sync::codec::decode(line).map_err(|e| e.to_string()))
        .collect()
}

/// [`read_legacy_lines`] as a [`LegacyReader`].
pub async fn read_legacy_here(lines: Vec<String>) -> Vec<Result<Envelope, String>> {
    read_legacy_lines(&lines)
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
    /// Appends by this handle since it last compacted.
    appends: Cell<u32>,
    fault: Cell<Option<Fault>>,
    unmigrated: RefCell<Vec<Unmigrated>>,
}

/// Counts writes, so that an injected fault can stop a transaction midway.
pub struct WriteCounter {
    done: u32,
    fault: Option<Fault>,
}

impl WriteCounter {
    fn at_commit(&mut self) -> Result<(), StoreError> {
        match self.fault {
            Some(Fault::AbortAfterWrites(n)) if self.done >= n && self.done > 0 => Err(
                StoreError::Aborted(format!("a fault was injected after {} writes", self.done)),
            ),
            _ => Ok(()),
        }
    }

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
        Self::over_reading(backend, read_legacy_here).await
    }

    /// Like [`Engine::over`], with `read` turning the schema 1 lines into
    /// envelopes: the app passes a reader whose code it fetches only when
    /// there is something to migrate (ADR 18).
    pub async fn over_reading(backend: B, read: impl LegacyReader) -> Result<Self, StoreError> {
        let engine = Engine {
            backend,
            catalog: RefCell::default(),
            appends: Cell::new(0),
            fault: Cell::new(None),
            unmigrated: RefCell::default(),
        };
        engine.migrate_legacy(read).await?;
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
        body: impl AsyncFnOnce(&B::Tx, &mut WriteCounter) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.backend.begin(Mode::Write).await?;
        let mut writes = WriteCounter {
            done: 0,
            fault: self.fault.take(),
        };
        match body(&tx, &mut writes).await {
            Ok(value) => {
                // A fault armed for no more writes than went out strikes here,
                // instead of the commit.
                if let Err(error) = writes.at_commit() {
                    tx.abort().await;
                    return Err(error.into());
                }
                tx.commit().await?;
                Ok(value)
            }
            Err(error) => {
                tx.abort().await;
                Err(error)
            }
        }
    }

    /// Adds one command's chunk at `len`, where this handle believes the log
    /// ends; `None` when another handle has written there.
    async fn add_command(
        &self,
        tx: &B::Tx,
        writes: &mut WriteCounter,
        len: u64,
        frames: &[Vec<u8>],
    ) -> Result<Option<Appended>, StoreError> {
        let states = vec![SyncState::Pending; frames.len()];
        let chunk = Chunk::new(len, frames, &states);
        writes.next()?;
        let added = tx.add_chunk(&chunk).await?;
        Ok(added.then(|| Appended {
            positions: len..chunk.end(),
            already_stored: false,
        }))
    }

    /// The stored records holding positions after `after`, in order.
    async fn records_after(&self, tx: &B::Tx, after: u64) -> Result<Vec<Chunk>, StoreError> {
        let mut records = Vec::new();
        tx.segment_pages(after, u64::MAX / 2, 1, &mut |page| records.extend(page))
            .await?;
        let chunks = tx
            .chunks_from(after.saturating_sub(MAX_CHUNK_EVENTS - 1))
            .await?;
        records.extend(
            chunks
                .into_iter()
                .filter(|c| c.count > 0 && c.end() > after),
        );
        records.sort_by_key(|c| c.first);
        Ok(records)
    }

    /// Brings the catalog up to `len`, reading what other handles wrote.
    async fn catch_up(&self, tx: &B::Tx, len: u64) -> Result<(), StoreError> {
        let known = self.catalog.borrow().len;
        if len == known {
            return Ok(());
        }
        let after = if len < known {
            // The log is shorter than we knew: local data was reset elsewhere.
            *self.catalog.borrow_mut() = Catalog::default();
            0
        } else {
            known
        };
        let records = self.records_after(tx, after).await?;
        self.catalog.borrow_mut().learn(&records, len);
        Ok(())
    }

    /// Whether each of `events` (already framed) is stored: `Some(position)`
    /// when it is with the same content; an error when it is with other content.
    async fn find_stored(
        &self,
        tx: &B::Tx,
        events: &[(&Envelope, &[u8])],
    ) -> Result<Vec<Option<u64>>, StoreError> {
        // Each chunk is read once, with where each of its frames lies.
        let mut cache: Vec<(Chunk, Vec<std::ops::Range<usize>>)> = Vec::new();
        let mut found = Vec::with_capacity(events.len());
        for (envelope, frame) in events {
            let position = self.catalog.borrow().position(envelope.event_id);
            let Some(position) = position else {
                found.push(None);
                continue;
            };
            let held = match cache.iter().position(|(c, _)| c.contains(position)) {
                Some(i) => i,
                None => {
                    let (_, chunk) = tx.holding(position).await?.ok_or_else(|| {
                        StoreError::Backend(format!(
                            "the record holding position {position} is missing"
                        ))
                    })?;
                    let offsets = chunk.frame_offsets();
                    cache.push((chunk, offsets));
                    cache.len() - 1
                }
            };
            let (chunk, offsets) = &cache[held];
            let stored = offsets
                .get((position - chunk.first) as usize)
                .map(|range| &chunk.events[range.clone()]);
            if stored != Some(*frame) {
                return Err(StoreError::IdReused {
                    event_id: envelope.event_id,
                });
            }
            found.push(Some(position));
        }
        Ok(found)
    }

    async fn migrate_legacy(&self, read: impl LegacyReader) -> Result<(), StoreError> {
        // Read outside the migrating transaction: the reader may wait on the
        // network, and IndexedDB commits a transaction left waiting.
        let legacy = {
            let tx = self.backend.begin(Mode::Read).await?;
            let legacy = tx.legacy_events().await?;
            tx.commit().await?;
            legacy
        };
        if legacy.is_empty() {
            return Ok(());
        }
        let (keys, lines): (Vec<u64>, Vec<String>) = legacy.into_iter().unzip();
        let mut read: FxHashMap<u64, Result<Envelope, String>> =
            keys.into_iter().zip(read(lines).await).collect();
        let migrated = self
            .write(async |tx, writes| {
                let mut events = Vec::new();
                let mut keys = Vec::new();
                let mut unreadable = Vec::new();
                // Only what is still there: another tab may have migrated
                // some of it while this one was reading.
                for key in tx.legacy_keys().await? {
                    match read.remove(&key) {
                        Some(Ok(envelope)) => {
                            events.push((envelope, SyncState::Pending));
                            keys.push(key);
                        }
                        Some(Err(reason)) => unreadable.push(Unmigrated { key, reason }),
                        // Schema 1 code cannot write once schema 2 has
                        // opened the database, so every record was read.
                        None => {}
                    }
                }
                let imported = self
                    .import_in(tx, writes, events, FxHashMap::default())
                    .await?;
                for key in keys {
                    writes.next()?;
                    tx.delete_legacy(key)?;
                }
                Ok((imported, unreadable))
            })
            .await?;
        let ((imported, written), unreadable) = migrated;
        *self.unmigrated.borrow_mut() = unreadable;
        self.learn_written(imported.len, written);
        Ok(())
    }

    /// Records `updates` inside `tx`. Returns the streams whose version
    /// went down, with their new version: those whose latest live events
    /// stopped counting.
    async fn set_states_in(
        &self,
        tx: &B::Tx,
        writes: &mut WriteCounter,
        updates: &[(EventId, SyncState)],
    ) -> Result<FxHashMap<StreamId, u64>, StoreError> {
        let len = tx.log_end().await?;
        self.catch_up(tx, len).await?;
        let mut by_position = Vec::with_capacity(updates.len());
        for (event_id, state) in updates {
            let position = self.catalog.borrow().position(*event_id);
            let position = position.ok_or(StoreError::UnknownEvent {
                event_id: *event_id,
            })?;
            by_position.push((position, event_id, state));
        }
        by_position.sort_by_key(|(p, _, _)| *p);
        let mut current: Option<(Place, Chunk, Vec<SyncState>)> = None;
        let mut given_back: FxHashMap<StreamId, Vec<(u64, EventId)>> = FxHashMap::default();
        for (position, event_id, state) in by_position {
            if !current
                .as_ref()
                .is_some_and(|(_, c, _)| c.contains(position))
            {
                if let Some((place, mut chunk, states)) = current.take() {
                    chunk.sync = encode_sync(&states);
                    writes.next()?;
                    tx.put(place, &chunk)?;
                }
                let (place, chunk) = tx.holding(position).await?.ok_or_else(|| {
                    StoreError::Backend(format!(
                        "the record holding position {position} is missing"
                    ))
                })?;
                let states = decode_sync(&chunk);
                current = Some((place, chunk, states));
            }
            if let Some((_, chunk, states)) = current.as_mut() {
                let slot = &mut states[(position - chunk.first) as usize];
                if slot.is_live() && !state.is_live() {
                    let header = chunk
                        .frames()
                        .find(|(p, _)| *p == position)
                        .and_then(|(_, frame)| frame.ok())
                        .and_then(|frame| decode_header(&frame).ok())
                        .ok_or(StoreError::UnknownEvent {
                            event_id: *event_id,
                        })?;
                    given_back
                        .entry(header.stream_id)
                        .or_default()
                        .push((header.stream_version, *event_id));
                }
                *slot = state.clone();
            }
        }
        if let Some((place, mut chunk, states)) = current {
            chunk.sync = encode_sync(&states);
            writes.next()?;
            tx.put(place, &chunk)?;
        }
        // Only a stream's latest live events may stop counting, or its
        // version would have a hole.
        let mut released = FxHashMap::default();
        for (stream, mut versions) in given_back {
            versions.sort_unstable_by(|a, b| b.cmp(a));
            let mut version = self.catalog.borrow().version(stream);
            for (v, event_id) in versions {
                if v != version {
                    return Err(StoreError::InvalidBatch(format!(
                            "event {event_id} is not its stream's latest live event, so it cannot stop counting"
                        )));
                }
                version -= 1;
            }
            released.insert(stream, version);
        }
        Ok(released)
    }

    /// The streams `released` went back to these versions.
    fn release(&self, released: &FxHashMap<StreamId, u64>) {
        let mut catalog = self.catalog.borrow_mut();
        for (stream, version) in released {
            catalog.release(*stream, version + 1);
        }
    }

    /// Records what a committed write added to the catalog. Every write
    /// caught the catalog up inside its transaction first, so afterwards it
    /// knows the log up to where that write left its end.
    fn learn_written(&self, len: u64, written: Vec<Written>) {
        let mut catalog = self.catalog.borrow_mut();
        for w in written {
            catalog.observe(w.position, w.id, w.stream, w.version, w.live);
        }
        catalog.len = len;
    }

    /// The import itself, inside `tx`; returns what to learn after commit.
    /// `versions` holds the streams whose version this transaction already
    /// changed (a rebase gave some back), over what the catalog knows.
    async fn import_in(
        &self,
        tx: &B::Tx,
        writes: &mut WriteCounter,
        events: Vec<(Envelope, SyncState)>,
        mut versions: FxHashMap<StreamId, u64>,
    ) -> Result<(ImportDone, Vec<Written>), StoreError> {
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
        let compacted = tx.meta(meta::COMPACTED);
        let mut len = tx.log_end().await?;
        let compacted: u64 = decode_meta(compacted.await?).unwrap_or(0);
        self.catch_up(tx, len).await?;
        let pairs: Vec<(&Envelope, &[u8])> = events
            .iter()
            .zip(&frames)
            .map(|((e, _), f)| (e, f.as_slice()))
            .collect();
        let stored = self.find_stored(tx, &pairs).await?;

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
            let live = state.is_live();
            // An event kept for the record only holds no version.
            if live {
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
            }
            let position = len + new_frames.len() as u64;
            written.push(Written {
                position,
                id: envelope.event_id,
                stream,
                version: envelope.stream_version,
                live,
            });
            new_frames.push(frame);
            new_states.push(state);
        }
        let start = len;
        for (frames, states) in new_frames
            .chunks(IMPORT_CHUNK_EVENTS)
            .zip(new_states.chunks(IMPORT_CHUNK_EVENTS))
        {
            writes.next()?;
            tx.put(Place::Segments, &Chunk::new(len, frames, states))?;
            len += frames.len() as u64;
        }
        if len != start {
            // The import's place in `chunks`, for appends to collide with.
            writes.next()?;
            tx.put(Place::Chunks, &Chunk::stub(start))?;
        }
        if compacted == start && len != start {
            // Imported chunks are as large as compaction would make them:
            // when nothing before them waits to be merged, they need no look.
            writes.next()?;
            tx.put_meta(meta::COMPACTED, &encode_meta(&len))?;
        }
        Ok((
            ImportDone {
                imported: Imported {
                    positions: start..len,
                    skipped,
                },
                len,
            },
            written,
        ))
    }

    /// Moves the chunks appended since the last compaction into as few
    /// segments as `MAX_CHUNK_EVENTS` allows, leaving stubs at their keys.
    async fn compact(&self) -> Result<(), StoreError> {
        self.write(async |tx, writes| {
            let compacted: u64 = decode_meta(tx.meta(meta::COMPACTED).await?).unwrap_or(0);
            let tail: Vec<Chunk> = tx
                .chunks_from(compacted)
                .await?
                .into_iter()
                .filter(|c| c.count > 0)
                .collect();
            let Some(end) = tail.last().map(Chunk::end) else {
                return Ok(());
            };
            let mut groups: Vec<Vec<Chunk>> = Vec::new();
            for chunk in tail {
                match groups.last_mut() {
                    Some(group)
                        if group.iter().map(|c| u64::from(c.count)).sum::<u64>()
                            + u64::from(chunk.count)
                            <= MAX_CHUNK_EVENTS
                            && group.last().is_some_and(|c| c.end() == chunk.first) =>
                    {
                        group.push(chunk)
                    }
                    _ => groups.push(vec![chunk]),
                }
            }
            for group in groups {
                let first = group[0].first;
                let mut states = Vec::new();
                let mut events = Vec::new();
                for chunk in &group {
                    states.extend(decode_sync(chunk));
                    events.extend_from_slice(&chunk.events);
                    writes.next()?;
                    tx.put(Place::Chunks, &Chunk::stub(chunk.first))?;
                }
                let merged = Chunk {
                    first,
                    count: states.len() as u32,
                    events,
                    sync: encode_sync(&states),
                };
                writes.next()?;
                tx.put(Place::Segments, &merged)?;
            }
            writes.next()?;
            tx.put_meta(meta::COMPACTED, &encode_meta(&end))
        })
        .await
    }

    async fn read(&self, from: u64, to: Option<u64>) -> Result<Loaded, StoreError> {
        let mut events = Vec::new();
        let mut loaded = self.read_each(from, to, &mut |e| events.push(e)).await?;
        loaded.events = events;
        Ok(loaded)
    }

    /// Reads positions `from` to `to` (or the end), handing each event to
    /// `each` in position order as its page is decoded; the returned
    /// `Loaded` has the rest (quarantined records, head) and no events.
    async fn read_each(
        &self,
        from: u64,
        to: Option<u64>,
        each: &mut dyn FnMut(StoredEvent),
    ) -> Result<Loaded, StoreError> {
        let tx = self.backend.begin(Mode::Read).await?;
        let compacted = tx.meta(meta::COMPACTED);
        let len = tx.log_end().await?;
        let compacted: u64 = decode_meta(compacted.await?).unwrap_or(0);
        let mut loaded = Loaded {
            head: len,
            ..Loaded::default()
        };
        let until = to.map_or(len, |to| to.min(len));
        // Appended chunks not yet compacted all start at or after
        // `compacted`. They are few, and read first so that they can be
        // merged in as the segments stream by: an import may have landed
        // segments after them.
        let tail: Vec<Chunk> = tx
            .chunks_from(compacted.max(from.saturating_sub(MAX_CHUNK_EVENTS - 1)))
            .await?
            .into_iter()
            .filter(|c| c.count > 0 && c.end() > from)
            .collect();
        let mut appended = Loaded::default();
        decode_chunks(&tail, from, &mut appended);
        drop(tail);
        loaded.quarantined = appended.quarantined;
        let mut appended = appended.events.into_iter().peekable();
        // A read to the end teaches the catalog what it did not know yet; a
        // read of everything teaches it afresh. What it learns is applied
        // after the commit, so other tasks never see it half learnt.
        let afresh = from == 0 && to.is_none();
        let mut learnt = afresh.then(Catalog::default);
        let mut seen = Vec::new();
        let mut emit = |event: StoredEvent| {
            if event.position >= until {
                return;
            }
            let e_ = &event.envelope;
            let observed = (
                event.position,
                e_.event_id,
                e_.stream_id,
                e_.stream_version,
                event.sync.is_live(),
            );
            match learnt.as_mut() {
                Some(catalog) => {
                    catalog.observe(observed.0, observed.1, observed.2, observed.3, observed.4)
                }
                None if to.is_none() => seen.push(observed),
                None => {}
            }
            each(event);
        };
        // A segment holding positions before `until` ends before `until + MAX`.
        let span = match to {
            Some(to) => to.min(len) + MAX_CHUNK_EVENTS,
            None => len,
        }
        .saturating_sub(from);
        let pages = span.div_ceil(READ_PAGE).max(1);
        tx.segment_pages(from, READ_PAGE, pages, &mut |segments| {
            chunk::decode_chunks_each(&segments, from, &mut loaded.quarantined, &mut |event| {
                while let Some(earlier) = appended.next_if(|a| a.position < event.position) {
                    emit(earlier);
                }
                emit(event);
            });
        })
        .await?;
        appended.for_each(&mut emit);
        loaded.quarantined.sort_by_key(|q| q.position);
        loaded.quarantined.retain(|q| q.position < until);
        tx.commit().await?;
        let mut catalog = self.catalog.borrow_mut();
        if let Some(learnt) = learnt {
            *catalog = learnt;
            catalog.len = len;
        } else if to.is_none() && from <= catalog.len && catalog.len != len {
            let known = catalog.len;
            for (position, id, stream, version, live) in seen {
                if position >= known {
                    catalog.observe(position, id, stream, version, live);
                }
            }
            catalog.len = len;
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
        // since it last looked), claiming the position it believes is the
        // end succeeds, and the whole append is one request.
        let believed = {
            let catalog = self.catalog.borrow();
            let fresh = events
                .iter()
                .all(|e| catalog.position(e.event_id).is_none());
            (fresh && catalog.version(stream) == expected_version).then_some(catalog.len)
        };
        // An armed fault takes the careful path, which counts its writes.
        let speculated = match believed.filter(|_| self.fault.get().is_none()) {
            Some(known) => {
                let tx = self.backend.begin(Mode::Write).await?;
                let chunk = Chunk::new(known, &frames, &vec![SyncState::Pending; frames.len()]);
                tx.claim(&chunk).await?.then(|| {
                    let appended = Appended {
                        positions: known..chunk.end(),
                        already_stored: false,
                    };
                    (appended, true)
                })
            }
            None => None,
        };
        let (appended, written) = match speculated {
            Some(done) => done,
            None => {
                self.write(async |tx, writes| {
                    let len = tx.log_end().await?;
                    self.catch_up(tx, len).await?;
                    let stored = self.find_stored(tx, &pairs).await?;
                    if let Some(Some(at)) = stored.first() {
                        if stored.iter().all(Option::is_some) {
                            return Ok((
                                Appended {
                                    positions: *at..*at + events.len() as u64,
                                    already_stored: true,
                                },
                                false,
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
                    let appended = self.add_command(tx, writes, len, &frames).await?;
                    let appended = appended.ok_or_else(|| {
                        StoreError::Backend(format!(
                            "position {len} is taken although the log ends there"
                        ))
                    })?;
                    Ok((appended, true))
                })
                .await?
            }
        };
        if written {
            let len = appended.positions.end;
            self.learn_written(
                len,
                events
                    .iter()
                    .zip(appended.positions.clone())
                    .map(|(e, position)| Written {
                        position,
                        id: e.event_id,
                        stream: e.stream_id,
                        version: e.stream_version,
                        live: true,
                    })
                    .collect(),
            );
            self.backend.notify(&Notice::Appended { head: len });
            self.appends.set(self.appends.get() + 1);
            if self.appends.get() >= COMPACT_AFTER {
                self.appends.set(0);
                // Compaction only makes later loads faster; the append
                // has committed whether or not it succeeds.
                let _ = self.compact().await;
            }
        }
        Ok(appended)
    }

    async fn import(&self, events: Vec<(Envelope, SyncState)>) -> Result<Imported, StoreError> {
        let (done, written) = self
            .write(async |tx, writes| {
                self.import_in(tx, writes, events, FxHashMap::default())
                    .await
            })
            .await?;
        if !written.is_empty() {
            self.learn_written(done.len, written);
            self.backend.notify(&Notice::Appended { head: done.len });
        }
        Ok(done.imported)
    }

    async fn read_all(&self) -> Result<Loaded, StoreError> {
        self.read(0, None).await
    }

    async fn read_all_each(&self, each: &mut dyn FnMut(StoredEvent)) -> Result<Loaded, StoreError> {
        self.read_each(0, None, each).await
    }

    async fn read_from(&self, from: u64) -> Result<Loaded, StoreError> {
        self.read(from, None).await
    }

    async fn read_stream(&self, stream: StreamId) -> Result<Vec<StoredEvent>, StoreError> {
        // Bring the catalog up to date, so the span below is complete.
        {
            let tx = self.backend.begin(Mode::Read).await?;
            let len = tx.log_end().await?;
            self.catch_up(&tx, len).await?;
            tx.commit().await?;
        }
        let Some(span) = self.catalog.borrow().span(stream) else {
            return Ok(Vec::new());
        };
        let loaded = self.read(span.first, Some(span.last + 1)).await?;
        Ok(loaded
            .events
            .into_iter()
            .filter(|e| e.envelope.stream_id == stream)
            .collect())
    }

    async fn set_sync_states(&self, updates: &[(EventId, SyncState)]) -> Result<(), StoreError> {
        let released = self
            .write(async |tx, writes| self.set_states_in(tx, writes, updates).await)
            .await?;
        self.release(&released);
        self.backend.notify(&Notice::SyncStates);
        Ok(())
    }

    async fn settle(
        &self,
        updates: &[(EventId, SyncState)],
        events: Vec<(Envelope, SyncState)>,
    ) -> Result<Imported, StoreError> {
        let (released, done, written) = self
            .write(async |tx, writes| {
                let released = self.set_states_in(tx, writes, updates).await?;
                let (done, written) = self.import_in(tx, writes, events, released.clone()).await?;
                Ok::<_, StoreError>((released, done, written))
            })
            .await?;
        self.release(&released);
        self.learn_written(done.len, written);
        self.backend.notify(&Notice::SyncStates);
        self.backend.notify(&Notice::Appended { head: done.len });
        Ok(done.imported)
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

    fn is_closed(&self) -> bool {
        self.backend().is_closed()
    }
}

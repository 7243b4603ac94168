//! The in-memory store: the engine over maps. Databases are named, as in
//! IndexedDB, and opening a name twice gives two handles on one database,
//! which is how the contract suite plays two tabs.

use crate::chunk::Chunk;
use crate::contract::Notice;
use crate::engine::{page_bounds, Backend, Engine, LegacyReader, Mode, Place, Tx};
use crate::error::StoreError;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::ops::Bound;
use std::rc::{Rc, Weak};

pub type MemoryStore = Engine<MemoryBackend>;

type Listener = Rc<dyn Fn(&Notice)>;
/// Listeners by the handle that registered them, which never hears itself.
type Listeners = Vec<(usize, Weak<dyn Fn(&Notice)>)>;

#[derive(Default)]
struct Database {
    meta: HashMap<String, Vec<u8>>,
    /// Keyed by first position, as in IndexedDB.
    chunks: BTreeMap<u64, Chunk>,
    /// Keyed by end position, as in IndexedDB.
    segments: BTreeMap<u64, Chunk>,
    legacy: BTreeMap<u64, String>,
    listeners: Listeners,
}

thread_local! {
    static DATABASES: RefCell<HashMap<String, Rc<RefCell<Database>>>> = RefCell::default();
    static NEXT_HANDLE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

pub struct MemoryBackend {
    db: Rc<RefCell<Database>>,
    handle: usize,
    listener: RefCell<Option<Listener>>,
}

impl MemoryStore {
    /// Opens (creating if needed) the database called `name` in this thread.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        Self::open_reading(name, crate::engine::read_legacy_here).await
    }

    /// Like [`MemoryStore::open`], with `read` reading a schema 1 log's
    /// lines (see [`Engine::over_reading`]).
    pub async fn open_reading(name: &str, read: impl LegacyReader) -> Result<Self, StoreError> {
        let db = DATABASES.with(|dbs| dbs.borrow_mut().entry(name.to_owned()).or_default().clone());
        let handle = NEXT_HANDLE.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        Engine::over_reading(
            MemoryBackend {
                db,
                handle,
                listener: RefCell::default(),
            },
            read,
        )
        .await
    }

    /// Deletes the database called `name`; open handles keep their copy.
    pub fn delete(name: &str) {
        DATABASES.with(|dbs| dbs.borrow_mut().remove(name));
    }

    /// Creates `name` in the layout of schema version 1 (one NDJSON line per event).
    pub fn create_schema_1(name: &str, lines: &[String]) {
        let db = Database {
            legacy: lines
                .iter()
                .cloned()
                .zip(0..)
                .map(|(l, k)| (k, l))
                .collect(),
            ..Database::default()
        };
        DATABASES.with(|dbs| {
            dbs.borrow_mut()
                .insert(name.to_owned(), Rc::new(RefCell::new(db)))
        });
    }

    /// Calls `on_change` whenever another handle on this database writes.
    pub fn watch(&self, on_change: impl Fn(&Notice) + 'static) {
        let listener: Listener = Rc::new(on_change);
        let backend = self.backend();
        backend
            .db
            .borrow_mut()
            .listeners
            .push((backend.handle, Rc::downgrade(&listener)));
        *backend.listener.borrow_mut() = Some(listener);
    }

    /// How many records a load reads: segments, and chunks that are not stubs.
    pub fn chunk_count(&self) -> usize {
        let db = self.backend().db.borrow();
        db.segments.len() + db.chunks.values().filter(|c| c.count > 0).count()
    }

    /// Writes a raw chunk, as a damaged or foreign record would be (tests only).
    pub fn put_raw_chunk(&self, chunk: Chunk) {
        self.backend()
            .db
            .borrow_mut()
            .chunks
            .insert(chunk.first, chunk);
    }
}

enum Write {
    Meta(String, Vec<u8>),
    Put(Place, Chunk),
    DeleteLegacy(u64),
}

/// Writes are staged and applied at commit. Nothing here awaits anything,
/// so a whole engine operation runs without yielding and no other handle's
/// can interleave with it: the same isolation IndexedDB gives.
pub struct MemoryTx {
    db: Rc<RefCell<Database>>,
    writes: RefCell<Vec<Write>>,
}

impl Backend for MemoryBackend {
    type Tx = MemoryTx;

    async fn begin(&self, _mode: Mode) -> Result<MemoryTx, StoreError> {
        Ok(MemoryTx {
            db: self.db.clone(),
            writes: RefCell::default(),
        })
    }

    fn notify(&self, change: &Notice) {
        let listeners: Vec<Listener> = {
            let mut db = self.db.borrow_mut();
            db.listeners.retain(|(_, l)| l.strong_count() > 0);
            db.listeners
                .iter()
                .filter(|(handle, _)| *handle != self.handle)
                .filter_map(|(_, l)| l.upgrade())
                .collect()
        };
        for listener in listeners {
            listener(change);
        }
    }
}

impl Tx for MemoryTx {
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> {
        let value = self.db.borrow().meta.get(key).cloned();
        std::future::ready(Ok(value))
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.writes
            .borrow_mut()
            .push(Write::Meta(key.to_owned(), value.to_vec()));
        Ok(())
    }

    fn log_end(&self) -> impl Future<Output = Result<u64, StoreError>> {
        let db = self.db.borrow();
        let segments = db.segments.keys().next_back().copied().unwrap_or(0);
        let chunks = db.chunks.values().next_back().map_or(0, Chunk::end);
        std::future::ready(Ok(segments.max(chunks)))
    }

    fn add_chunk(&self, chunk: &Chunk) -> impl Future<Output = Result<bool, StoreError>> {
        let free = !self.db.borrow().chunks.contains_key(&chunk.first);
        if free {
            self.writes
                .borrow_mut()
                .push(Write::Put(Place::Chunks, chunk.clone()));
        }
        std::future::ready(Ok(free))
    }

    async fn claim(self, chunk: &Chunk) -> Result<bool, StoreError> {
        let free = self.add_chunk(chunk).await?;
        if free {
            self.commit().await?;
        }
        Ok(free)
    }

    fn put(&self, place: Place, chunk: &Chunk) -> Result<(), StoreError> {
        self.writes
            .borrow_mut()
            .push(Write::Put(place, chunk.clone()));
        Ok(())
    }

    async fn chunks_from(&self, from: u64) -> Result<Vec<Chunk>, StoreError> {
        Ok(self
            .db
            .borrow()
            .chunks
            .range(from..)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn segment_pages(
        &self,
        after: u64,
        page: u64,
        pages: u64,
        each: &mut dyn FnMut(Vec<Chunk>),
    ) -> Result<(), StoreError> {
        for (lower, upper) in page_bounds(after, page, pages) {
            let upper = upper.map_or(Bound::Unbounded, Bound::Included);
            let segments = self
                .db
                .borrow()
                .segments
                .range((Bound::Excluded(lower), upper))
                .map(|(_, c)| c.clone())
                .collect();
            each(segments);
        }
        Ok(())
    }

    async fn holding(&self, position: u64) -> Result<Option<(Place, Chunk)>, StoreError> {
        let db = self.db.borrow();
        let segment = db
            .segments
            .range((Bound::Excluded(position), Bound::Unbounded))
            .next()
            .map(|(_, c)| c)
            .filter(|c| c.contains(position));
        let chunk = db
            .chunks
            .range(..=position)
            .next_back()
            .map(|(_, c)| c)
            .filter(|c| c.contains(position));
        Ok(match (segment, chunk) {
            (Some(s), _) => Some((Place::Segments, s.clone())),
            (None, Some(c)) => Some((Place::Chunks, c.clone())),
            (None, None) => None,
        })
    }

    async fn legacy_events(&self) -> Result<Vec<(u64, String)>, StoreError> {
        Ok(self
            .db
            .borrow()
            .legacy
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect())
    }

    async fn legacy_keys(&self) -> Result<Vec<u64>, StoreError> {
        Ok(self.db.borrow().legacy.keys().copied().collect())
    }

    fn delete_legacy(&self, key: u64) -> Result<(), StoreError> {
        self.writes.borrow_mut().push(Write::DeleteLegacy(key));
        Ok(())
    }

    async fn commit(self) -> Result<(), StoreError> {
        let mut db = self.db.borrow_mut();
        for write in self.writes.into_inner() {
            match write {
                Write::Meta(key, value) => {
                    db.meta.insert(key, value);
                }
                Write::Put(Place::Chunks, chunk) => {
                    db.chunks.insert(chunk.first, chunk);
                }
                Write::Put(Place::Segments, chunk) => {
                    db.segments.insert(chunk.end(), chunk);
                }
                Write::DeleteLegacy(key) => {
                    db.legacy.remove(&key);
                }
            }
        }
        Ok(())
    }

    async fn abort(self) {}
}

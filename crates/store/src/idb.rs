//! The IndexedDB store: the engine over four object stores (recent chunks,
//! the segments compaction merges them into, meta, and the first layout's
//! events, read once to migrate them).
//!
//! - `chunks`: appended chunks, keyed by first position, and the stubs they
//!   leave when compaction moves them (see `engine::Tx`);
//! - `segments`: imported and compacted chunks, keyed by end position;
//! - `meta`: how far compaction got, the device id, the last pulled
//!   position and the checkpoint, each a byte array;
//! - `events`: the schema 1 layout, one NDJSON line per event, kept only
//!   so that `Engine::over_reading` can migrate it.
//!
//! Requests are issued as soon as they are made (the `idb` crate's are), so
//! a transaction's reads and writes travel together. Other tabs hear of
//! every write over a `BroadcastChannel` named after the database.

use crate::chunk::Chunk;
use crate::contract::Notice;
use crate::engine::{page_bounds, Backend, Engine, LegacyReader, Mode, Place, Tx, STORE_SCHEMA};
use crate::error::StoreError;
use idb::event::DatabaseEvent;
use idb::{
    CursorDirection, Database, Factory, KeyRange, ObjectStore, ObjectStoreParams, Query,
    Transaction, TransactionMode,
};
use js_sys::{Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::future::{Future, IntoFuture};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

pub type IdbStore = Engine<IdbBackend>;

type OnMessage = Closure<dyn FnMut(MessageEvent)>;

const CHUNKS: &str = "chunks";
const SEGMENTS: &str = "segments";
const META: &str = "meta";
const LEGACY: &str = "events";
const ALL: [&str; 4] = [CHUNKS, SEGMENTS, META, LEGACY];

pub struct IdbBackend {
    db: Database,
    /// The same connection, for what the `idb` crate does not expose.
    raw: web_sys::IdbDatabase,
    /// Set when another tab upgraded or deleted the database (this
    /// connection has been closed so that it does not block them), or when
    /// the browser closed it after a failure (a full disk).
    closed: Rc<Cell<bool>>,
    _on_close: Closure<dyn FnMut()>,
    channel: BroadcastChannel,
    on_message: RefCell<Option<OnMessage>>,
}

/// Turns a failed IndexedDB call into what the UI shows.
pub fn store_error(error: idb::Error) -> StoreError {
    let text = match &error {
        idb::Error::DomException(e) => format!("{}: {}", e.name(), e.message()),
        other => other.to_string(),
    };
    classify(&text)
}

/// A failure thrown by a call made through `web_sys` or `Reflect`.
fn js_error(e: JsValue) -> StoreError {
    classify(&e.dyn_ref::<web_sys::DomException>().map_or_else(
        || format!("{e:?}"),
        |d| format!("{}: {}", d.name(), d.message()),
    ))
}

fn classify(text: &str) -> StoreError {
    if text.contains("QuotaExceeded") {
        StoreError::QuotaExceeded
    } else if [
        "IOError",
        "IO error",
        "FILE_ERROR_NO_SPACE",
        "Failed to write",
    ]
    .iter()
    .any(|t| text.contains(t))
    {
        // What Chromium reports when the disk itself is full (it may also
        // close the connection, which `closed` then says).
        StoreError::WriteFailed(text.to_owned())
    } else if text.contains("InvalidStateError") || text.contains("connection is closing") {
        StoreError::Closed
    } else if text.contains("AbortError") {
        StoreError::Aborted(text.to_owned())
    } else {
        StoreError::Backend(text.to_owned())
    }
}

/// Segment keys (end positions) after `after`, up to and including `until`.
fn key_range(after: u64, until: Option<u64>) -> Result<KeyRange, StoreError> {
    match until {
        Some(until) => KeyRange::bound(&number(after), &number(until), Some(true), Some(false)),
        None => KeyRange::lower_bound(&number(after), Some(true)),
    }
    .map_err(store_error)
}

fn number(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn chunk_to_js(chunk: &Chunk) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: &JsValue| {
        Reflect::set(&object, &JsValue::from_str(key), value)
            .expect("setting a plain object's field");
    };
    set("first", &number(chunk.first));
    set("count", &JsValue::from(chunk.count));
    set("events", &Uint8Array::from(chunk.events.as_slice()).into());
    set("sync", &Uint8Array::from(chunk.sync.as_slice()).into());
    object.into()
}

/// Reads a chunk record. A damaged one still yields its position, with no
/// readable events, so the engine quarantines it instead of failing the load.
fn chunk_from_js(value: &JsValue) -> Chunk {
    let get =
        |key: &str| Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let bytes = |v: JsValue| {
        v.dyn_into::<Uint8Array>()
            .map(|a| a.to_vec())
            .unwrap_or_default()
    };
    Chunk {
        first: get("first").as_f64().unwrap_or(0.0) as u64,
        count: get("count").as_f64().unwrap_or(1.0) as u32,
        events: bytes(get("events")),
        sync: bytes(get("sync")),
    }
}

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`. When an older tab
    /// holds it open and does not let go, `on_blocked` is told, so the UI
    /// can ask the person to close it; the open completes once it does.
    pub async fn open(name: &str, on_blocked: impl FnOnce() + 'static) -> Result<Self, StoreError> {
        Self::open_reading(name, on_blocked, crate::engine::read_legacy_here).await
    }

    /// Like [`IdbStore::open`], with `read` reading a schema 1 log's lines
    /// (see [`Engine::over_reading`]).
    pub async fn open_reading(
        name: &str,
        on_blocked: impl FnOnce() + 'static,
        read: impl LegacyReader,
    ) -> Result<Self, StoreError> {
        let factory = Factory::new().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut request = factory
            .open(name, Some(STORE_SCHEMA))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let existing = db.store_names();
            for store in ALL {
                if !existing.iter().any(|s| s == store) {
                    // A failure here aborts the upgrade, and the open reports it.
                    let _ = db.create_object_store(store, ObjectStoreParams::new());
                }
            }
        });
        request.on_blocked(move |_| on_blocked());
        let db = request.await.map_err(|e| match store_error(e) {
            StoreError::Backend(m) => StoreError::Unavailable(m),
            other => other,
        })?;
        let raw: web_sys::IdbDatabase = db.into();
        let mut db = Database::from(raw.clone());
        let closed = Rc::new(Cell::new(false));
        let flag = closed.clone();
        db.on_version_change(move |event| {
            flag.set(true);
            if let Ok(db) = event.database() {
                db.close();
            }
        });
        let flag = closed.clone();
        let on_close = Closure::<dyn FnMut()>::new(move || flag.set(true));
        raw.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let channel = BroadcastChannel::new(&format!("portal-ledger:{name}"))
            .map_err(|e| StoreError::Unavailable(format!("{e:?}")))?;
        Engine::over_reading(
            IdbBackend {
                db,
                raw,
                closed,
                _on_close: on_close,
                channel,
                on_message: RefCell::default(),
            },
            read,
        )
        .await
    }

    /// Deletes the database `name`; waits until every tab has let go of it.
    pub async fn delete(name: &str) -> Result<(), StoreError> {
        let factory = Factory::new().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        factory
            .delete(name)
            .map_err(store_error)?
            .await
            .map_err(store_error)
    }

    /// Calls `on_change` whenever another handle (another tab) writes.
    pub fn watch(&self, on_change: impl Fn(&Notice) + 'static) {
        let closure = OnMessage::new(move |event: MessageEvent| {
            if let Some(change) = decode_change(&event.data()) {
                on_change(&change);
            }
        });
        let backend = self.backend();
        backend
            .channel
            .set_onmessage(Some(closure.as_ref().unchecked_ref()));
        *backend.on_message.borrow_mut() = Some(closure);
    }

    /// How many records a load reads: segments, and chunks that are not stubs.
    pub async fn chunk_count(&self) -> Result<u32, StoreError> {
        let tx = self.backend().transaction(Mode::Read)?;
        let segments = tx.segments.count(None).map_err(store_error)?.await;
        let chunks = tx.chunks_from(0).await?;
        Ok(segments.map_err(store_error)? + chunks.iter().filter(|c| c.count > 0).count() as u32)
    }

    /// Writes a chunk record as is, bypassing the engine (tests only).
    pub async fn put_raw_chunk(&self, chunk: &Chunk) -> Result<(), StoreError> {
        let tx = self.backend().transaction(Mode::Write)?;
        tx.put(Place::Chunks, chunk)?;
        tx.commit().await
    }

    /// Creates `name` in the layout of schema version 1 and returns the open
    /// connection, as an old tab would hold it (tests only).
    pub async fn create_schema_1(name: &str, lines: &[String]) -> Result<Database, StoreError> {
        let factory = Factory::new().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut request = factory.open(name, Some(1)).map_err(store_error)?;
        request.on_upgrade_needed(|event| {
            if let Ok(db) = event.database() {
                let _ = db.create_object_store(LEGACY, ObjectStoreParams::new());
                let _ = db.create_object_store(META, ObjectStoreParams::new());
            }
        });
        let mut db = request.await.map_err(store_error)?;
        // What the schema 1 code did: let a newer version in.
        db.on_version_change(|event| {
            if let Ok(db) = event.database() {
                db.close();
            }
        });
        let tx = db
            .transaction(&[LEGACY], TransactionMode::ReadWrite)
            .map_err(store_error)?;
        let store = tx.object_store(LEGACY).map_err(store_error)?;
        for (key, line) in lines.iter().enumerate() {
            store
                .put(&JsValue::from_str(line), Some(&number(key as u64)))
                .map_err(store_error)?;
        }
        tx.commit()
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Ok(db)
    }
}

fn encode_change(change: &Notice) -> JsValue {
    match change {
        Notice::Appended { head } => number(*head),
        Notice::SyncStates => JsValue::from_str("sync"),
    }
}

fn decode_change(value: &JsValue) -> Option<Notice> {
    if let Some(head) = value.as_f64() {
        return Some(Notice::Appended { head: head as u64 });
    }
    (value.as_string().as_deref() == Some("sync")).then_some(Notice::SyncStates)
}

impl IdbBackend {
    fn transaction(&self, mode: Mode) -> Result<IdbTx, StoreError> {
        if self.closed.get() {
            return Err(StoreError::Closed);
        }
        let write = mode == Mode::Write;
        let mode = if write {
            TransactionMode::ReadWrite
        } else {
            TransactionMode::ReadOnly
        };
        let tx = if write {
            self.relaxed_write_transaction()?
        } else {
            self.db.transaction(&ALL, mode).map_err(store_error)?
        };
        Ok(IdbTx {
            write,
            chunks: tx.object_store(CHUNKS).map_err(store_error)?,
            segments: tx.object_store(SEGMENTS).map_err(store_error)?,
            meta: tx.object_store(META).map_err(store_error)?,
            legacy: tx.object_store(LEGACY).map_err(store_error)?,
            tx,
        })
    }
}

impl IdbBackend {
    /// A read-write transaction with relaxed durability: committed once the
    /// data is handed to the operating system, without waiting for the disk
    /// to flush. That survives a reload, a crashed tab and a crashed
    /// browser; only a crash of the whole machine can lose the last writes.
    /// (web-sys exposes the option only behind an unstable flag.)
    fn relaxed_write_transaction(&self) -> Result<Transaction, StoreError> {
        let names: js_sys::Array = ALL.iter().map(|s| JsValue::from_str(s)).collect();
        let options = Object::new();
        Reflect::set(&options, &"durability".into(), &"relaxed".into())
            .map_err(|e| StoreError::Backend(format!("{e:?}")))?;
        let open = Reflect::get(&self.raw, &"transaction".into())
            .and_then(|f| f.dyn_into::<js_sys::Function>())
            .map_err(|e| StoreError::Backend(format!("{e:?}")))?;
        let tx = open
            .call3(&self.raw, &names, &"readwrite".into(), &options)
            .map_err(js_error)?;
        Ok(Transaction::from(
            tx.unchecked_into::<web_sys::IdbTransaction>(),
        ))
    }
}

impl Drop for IdbBackend {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
        self.db.close();
    }
}

pub struct IdbTx {
    tx: Transaction,
    write: bool,
    chunks: ObjectStore,
    segments: ObjectStore,
    meta: ObjectStore,
    legacy: ObjectStore,
}

/// Why a transaction ended without committing, as IndexedDB recorded it.
fn failure(tx: &Transaction) -> StoreError {
    match tx.error() {
        Some(e) => classify(&format!("{}: {}", e.name(), e.message())),
        None => StoreError::Aborted("the browser abandoned the transaction".into()),
    }
}

impl Backend for IdbBackend {
    type Tx = IdbTx;

    fn is_closed(&self) -> bool {
        self.closed.get()
    }

    async fn begin(&self, mode: Mode) -> Result<IdbTx, StoreError> {
        self.transaction(mode)
    }

    fn notify(&self, change: &Notice) {
        // Posted once the caller has its answer, so that posting never
        // delays the page's update. A tab that cannot post still has its
        // data; the others catch up on their next write or load.
        let channel = self.channel.clone();
        let message = encode_change(change);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = channel.post_message(&message);
        });
    }
}

impl Tx for IdbTx {
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> {
        // Listening starts now: `idb` hears of a result only once its
        // request has become a future, and this one may finish before it is awaited.
        let request = self
            .meta
            .get(JsValue::from_str(key))
            .map(IntoFuture::into_future);
        async move {
            let value = request.map_err(store_error)?.await.map_err(store_error)?;
            Ok(value.and_then(|v| v.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec())))
        }
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.meta
            .put(
                &Uint8Array::from(value).into(),
                Some(&JsValue::from_str(key)),
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn log_end(&self) -> impl Future<Output = Result<u64, StoreError>> {
        // Both sent now; `idb` hears of a result only once its request has
        // become a future, and these may finish before they are awaited.
        let segments = self
            .segments
            .open_key_cursor(None, Some(CursorDirection::Prev))
            .map(IntoFuture::into_future);
        let chunks = self
            .chunks
            .open_cursor(None, Some(CursorDirection::Prev))
            .map(IntoFuture::into_future);
        async move {
            let segments = match segments.map_err(store_error)?.await.map_err(store_error)? {
                Some(cursor) => cursor.key().map_err(store_error)?.as_f64().unwrap_or(0.0) as u64,
                None => 0,
            };
            let chunks = match chunks.map_err(store_error)?.await.map_err(store_error)? {
                Some(cursor) => chunk_from_js(&cursor.value().map_err(store_error)?).end(),
                None => 0,
            };
            Ok(segments.max(chunks))
        }
    }

    fn add_chunk(&self, chunk: &Chunk) -> impl Future<Output = Result<bool, StoreError>> {
        let request = self
            .chunks
            .add(&chunk_to_js(chunk), Some(&number(chunk.first)))
            .map(IntoFuture::into_future);
        async move {
            match request.map_err(store_error)?.await {
                Ok(_) => Ok(true),
                Err(e) => match store_error(e) {
                    StoreError::Backend(text) if text.contains("ConstraintError") => Ok(false),
                    other => Err(other),
                },
            }
        }
    }

    async fn claim(self, chunk: &Chunk) -> Result<bool, StoreError> {
        // Not awaited on its own: a taken key fails the add, which aborts
        // the transaction with a ConstraintError. The `idb` crate's commit
        // cannot tell that abort from its request's error, so this one
        // listens to the transaction itself.
        self.chunks
            .add(&chunk_to_js(chunk), Some(&number(chunk.first)))
            .map_err(store_error)?;
        let tx = web_sys::IdbTransaction::from(self.tx);
        let settled = js_sys::Promise::new(&mut |resolve, _| {
            tx.set_oncomplete(Some(&resolve));
            tx.set_onabort(Some(&resolve));
        });
        // Marked deprecated in web-sys only because IndexedDB 2.0 left it
        // out; IndexedDB 3.0 and every current browser have it.
        #[allow(deprecated)]
        tx.commit().map_err(js_error)?;
        let event = wasm_bindgen_futures::JsFuture::from(settled)
            .await
            .map_err(js_error)?;
        if event
            .dyn_into::<web_sys::Event>()
            .is_ok_and(|e| e.type_() == "complete")
        {
            return Ok(true);
        }
        match tx.error() {
            Some(e) if e.name() == "ConstraintError" => Ok(false),
            Some(e) => Err(classify(&format!("{}: {}", e.name(), e.message()))),
            None => Err(StoreError::Aborted(
                "the browser abandoned the transaction".into(),
            )),
        }
    }

    fn put(&self, place: Place, chunk: &Chunk) -> Result<(), StoreError> {
        let (store, key) = match place {
            Place::Chunks => (&self.chunks, chunk.first),
            Place::Segments => (&self.segments, chunk.end()),
        };
        store
            .put(&chunk_to_js(chunk), Some(&number(key)))
            .map_err(store_error)?;
        Ok(())
    }

    async fn chunks_from(&self, from: u64) -> Result<Vec<Chunk>, StoreError> {
        let range = KeyRange::lower_bound(&number(from), Some(false)).map_err(store_error)?;
        let values = self
            .chunks
            .get_all(Some(Query::KeyRange(range)), None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Ok(values.iter().map(chunk_from_js).collect())
    }

    async fn segment_pages(
        &self,
        after: u64,
        page: u64,
        pages: u64,
        each: &mut dyn FnMut(Vec<Chunk>),
    ) -> Result<(), StoreError> {
        // Every page is asked for before the first is awaited.
        let mut requests = Vec::new();
        for (lower, upper) in page_bounds(after, page, pages) {
            requests.push(
                self.segments
                    .get_all(Some(Query::KeyRange(key_range(lower, upper)?)), None)
                    .map_err(store_error)?
                    .into_future(),
            );
        }
        for request in requests {
            let values = request.await.map_err(store_error)?;
            each(values.iter().map(chunk_from_js).collect());
        }
        Ok(())
    }

    async fn holding(&self, position: u64) -> Result<Option<(Place, Chunk)>, StoreError> {
        let segment = self
            .segments
            .open_cursor(
                Some(Query::KeyRange(key_range(position, None)?)),
                Some(CursorDirection::Next),
            )
            .map_err(store_error)?
            .into_future();
        let chunk = self
            .chunks
            .open_cursor(
                Some(Query::KeyRange(
                    KeyRange::upper_bound(&number(position), Some(false)).map_err(store_error)?,
                )),
                Some(CursorDirection::Prev),
            )
            .map_err(store_error)?
            .into_future();
        let found = |cursor: Option<idb::Cursor>| -> Result<Option<Chunk>, StoreError> {
            match cursor {
                Some(cursor) => {
                    let chunk = chunk_from_js(&cursor.value().map_err(store_error)?);
                    Ok(chunk.contains(position).then_some(chunk))
                }
                None => Ok(None),
            }
        };
        let segment = found(segment.await.map_err(store_error)?)?;
        let chunk = found(chunk.await.map_err(store_error)?)?;
        Ok(segment
            .map(|s| (Place::Segments, s))
            .or(chunk.map(|c| (Place::Chunks, c))))
    }

    async fn legacy_events(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let keys = self.legacy_keys().await?;
        let values = self
            .legacy
            .get_all(None, None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Ok(keys
            .into_iter()
            .zip(values.iter())
            .map(|(k, v)| (k, v.as_string().unwrap_or_default()))
            .collect())
    }

    async fn legacy_keys(&self) -> Result<Vec<u64>, StoreError> {
        let keys = self
            .legacy
            .get_all_keys(None, None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Ok(keys
            .iter()
            .map(|k| k.as_f64().unwrap_or(0.0) as u64)
            .collect())
    }

    fn delete_legacy(&self, key: u64) -> Result<(), StoreError> {
        self.legacy.delete(number(key)).map_err(store_error)?;
        Ok(())
    }

    async fn commit(self) -> Result<(), StoreError> {
        if !self.write {
            // A read-only transaction has nothing to commit; it ends by itself.
            return Ok(());
        }
        // Another handle on the same transaction, to read why it failed.
        let probe = self.chunks.transaction();
        let done = self.tx.commit().map_err(store_error)?.await;
        match done {
            Ok(result) if result.is_committed() => Ok(()),
            Ok(_) => Err(failure(&probe)),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn abort(self) {
        if let Ok(tx) = self.tx.abort() {
            let _ = tx.await;
        }
    }
}

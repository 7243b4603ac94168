//! The store contract on IndexedDB, in headless Chromium, plus what only a
//! browser has: error mapping, the blocked upgrade, and preferences.
#![cfg(target_arch = "wasm32")]

mod contract;

use contract::Harness;
use portal_store::chunk::Chunk;
use portal_store::engine::Engine;
use portal_store::idb::{store_error, IdbBackend, IdbStore};
use portal_store::{EventStore, LegacyReader, Notice, StoreError};
use std::cell::RefCell;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    /// Old-layout connections, held open the way an old tab would.
    static OLD_TABS: RefCell<Vec<idb::Database>> = RefCell::default();
}

struct Idb;

async fn sleep(millis: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis as i32)
            .expect("a timer");
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl Harness for Idb {
    type B = IdbBackend;

    async fn open(&self, name: &str) -> Engine<IdbBackend> {
        IdbStore::open(name, || panic!("no tab should block the open"))
            .await
            .expect("IndexedDB opens")
    }

    async fn open_reading(&self, name: &str, read: impl LegacyReader) -> Engine<IdbBackend> {
        IdbStore::open_reading(name, || panic!("no tab should block the open"), read)
            .await
            .expect("IndexedDB opens")
    }

    async fn fresh(&self, name: &str) {
        IdbStore::delete(name)
            .await
            .expect("the database is deleted");
    }

    async fn create_schema_1(&self, name: &str, lines: &[String]) {
        let old = IdbStore::create_schema_1(name, lines)
            .await
            .expect("the schema 1 database is created");
        OLD_TABS.with(|tabs| tabs.borrow_mut().push(old));
    }

    async fn put_raw_chunk(&self, store: &Engine<IdbBackend>, chunk: Chunk) {
        store
            .put_raw_chunk(&chunk)
            .await
            .expect("the raw chunk is written");
    }

    async fn chunk_count(&self, store: &Engine<IdbBackend>) -> usize {
        store.chunk_count().await.expect("chunks are counted") as usize
    }

    fn watch(&self, store: &Engine<IdbBackend>, on_change: Box<dyn Fn(&Notice)>) {
        store.watch(on_change);
    }

    async fn settle(&self, millis: u32) {
        sleep(millis).await;
    }

    fn now_millis(&self) -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }
}

contract_cases!(Idb, wasm_bindgen_test, async);

#[wasm_bindgen_test]
fn a_full_disk_reads_as_quota_exceeded() {
    let full = web_sys::DomException::new_with_message_and_name("disk full", "QuotaExceededError")
        .expect("a DOMException");
    assert_eq!(
        store_error(idb::Error::DomException(full)),
        StoreError::QuotaExceeded
    );
    assert!(StoreError::QuotaExceeded.to_string().contains("full"));
    // A disk that is really full: Chromium fails the write itself.
    let io = web_sys::DomException::new_with_message_and_name(
        "Failed to write blobs (IOError)",
        "DataError",
    )
    .expect("a DOMException");
    let error = store_error(idb::Error::DomException(io));
    assert!(matches!(error, StoreError::WriteFailed(_)), "{error:?}");
    assert!(error.is_out_of_room() && StoreError::QuotaExceeded.is_out_of_room());
    assert!(error.to_string().contains("disk may be full"), "{error}");
    // Or it closes the connection, saying why.
    let closing = web_sys::DomException::new_with_message_and_name(
        "Connection is closing because of: IO error: 000003.log: FILE_ERROR_NO_SPACE",
        "UnknownError",
    )
    .expect("a DOMException");
    let error = store_error(idb::Error::DomException(closing));
    assert!(matches!(error, StoreError::WriteFailed(_)), "{error:?}");
}

#[wasm_bindgen_test]
async fn an_old_tab_is_closed_by_an_upgrade_and_says_so() {
    IdbStore::delete("old-tab").await.unwrap();
    let old = IdbStore::create_schema_1("old-tab", &[]).await.unwrap();
    // The upgrade completes although the old connection was open.
    let store = IdbStore::open("old-tab", || {}).await.unwrap();
    assert!(old
        .transaction(&["events"], idb::TransactionMode::ReadOnly)
        .is_err());
    // And a current tab is closed by a delete (the next upgrade) in turn.
    let other = IdbStore::open("old-tab", || {}).await.unwrap();
    drop(store);
    IdbStore::delete("old-tab").await.unwrap();
    assert!(other.is_closed());
    assert!(matches!(
        portal_store::EventStore::read_all(&other).await,
        Err(StoreError::Closed)
    ));
}

#[wasm_bindgen_test]
fn preferences_round_trip_and_default() {
    portal_store::prefs::forget("server-url");
    assert_eq!(portal_store::prefs::get("server-url"), "");
    portal_store::prefs::set("server-url", "http://127.0.0.1:8080").unwrap();
    assert_eq!(
        portal_store::prefs::get("server-url"),
        "http://127.0.0.1:8080"
    );
    // Text that JSON must escape comes back as it was.
    let odd = "a \"quoted\" \\ name\n\u{1F600}";
    portal_store::prefs::set("server-url", odd).unwrap();
    assert_eq!(portal_store::prefs::get("server-url"), odd);
}

#[wasm_bindgen_test]
fn preferences_read_what_earlier_builds_wrote_and_ignore_the_unreadable() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    // Earlier builds wrote each preference as serde_json text.
    let written = serde_json::to_string("dev \"ops\"@example.com").unwrap();
    storage
        .set_item("portal-ledger.actor-test", &written)
        .unwrap();
    assert_eq!(
        portal_store::prefs::get("actor-test"),
        "dev \"ops\"@example.com"
    );
    for unreadable in ["{not json", "42", "null", "[\"a\"]"] {
        storage
            .set_item("portal-ledger.actor-test", unreadable)
            .unwrap();
        assert_eq!(portal_store::prefs::get("actor-test"), "", "{unreadable}");
    }
    portal_store::prefs::forget("actor-test");
    assert_eq!(storage.get_item("portal-ledger.actor-test").unwrap(), None);
}

#[wasm_bindgen_test]
async fn without_indexeddb_the_store_says_it_is_unavailable() {
    // As in a browser that blocks storage: `window.indexedDB` is null. The
    // global's attributes are its own properties, so the original is put back.
    let window: js_sys::Object = web_sys::window().expect("a window").into();
    let original = js_sys::Object::get_own_property_descriptor(&window, &"indexedDB".into());
    let descriptor = js_sys::Object::new();
    js_sys::Reflect::set(&descriptor, &"value".into(), &wasm_bindgen::JsValue::NULL).unwrap();
    js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&window, &"indexedDB".into(), &descriptor);
    let result = IdbStore::open("nowhere", || {}).await;
    js_sys::Object::define_property(&window, &"indexedDB".into(), &original.into());
    let Err(error) = result else {
        panic!("the store opened without IndexedDB");
    };
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(error.to_string().contains("private window"), "{error}");
    // And once storage is back, it opens.
    assert!(IdbStore::open("nowhere", || {}).await.is_ok());
}

#[wasm_bindgen_test]
fn a_tabs_preferences_are_kept_apart_from_the_browsers() {
    use portal_store::prefs;
    prefs::forget("workspace-test");
    prefs::tab::forget("workspace-test");
    prefs::tab::set("workspace-test", "demo").unwrap();
    assert_eq!(prefs::tab::get("workspace-test"), "demo");
    // Another tab reads localStorage: the tab's choice is not there.
    assert_eq!(prefs::get("workspace-test"), "");
    let session = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    assert_eq!(
        session.get_item("portal-ledger.workspace-test").unwrap(),
        Some("demo".to_owned())
    );
    prefs::tab::forget("workspace-test");
    assert_eq!(prefs::tab::get("workspace-test"), "");
}

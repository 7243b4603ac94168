#![cfg(target_arch = "wasm32")]
#[path = "contract/fixture.rs"]
mod fixture;
use portal_store::chunk::Chunk;
use portal_store::engine::{Backend, Mode, Tx};
use portal_store::idb::IdbStore;
use portal_store::SyncState;
use wasm_bindgen_test::*;
wasm_bindgen_test_configure!(run_in_browser);
fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
#[wasm_bindgen_test]
async fn probe() {
    let mut f = fixture::Fixture::new(1);
    f.create(1);
    let b = f.add(1, "P");
    let s = now();
    for _ in 0..1000 {
        let frames: Vec<Vec<u8>> = b.events.iter().map(portal_store::chunk::frame_of).collect();
        let c = Chunk::new(0, &frames, &[SyncState::Pending, SyncState::Pending]);
        std::hint::black_box(c);
    }
    console_log!("encode+chunk: {:.4} ms each", (now() - s) / 1000.0);
    IdbStore::delete("probe").await.unwrap();
    let store = IdbStore::open("probe", || {}).await.unwrap();
    let s = now();
    for _ in 0..1000 {
        let tx = store.backend().begin(Mode::Write).await.unwrap();
        tx.abort().await;
    }
    console_log!("begin+abort: {:.4} ms each", (now() - s) / 1000.0);
    let s = now();
    for i in 0..1000 {
        store
            .backend()
            .notify(&portal_store::Change::Appended { head: i });
    }
    console_log!("notify: {:.4} ms each", (now() - s) / 1000.0);
}

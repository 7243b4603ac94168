//! NDJSON import, as the Data page does it: the file is decoded whole, then
//! stored in one import and the portal is folded from the store. Any file is
//! imported or refused with an error, never a panic; a refused import keeps
//! nothing, and an accepted one reads back exactly as given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal_store::contract::{EventStore, SyncState};
use portal_store::MemoryStore;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(events) = portal_sync::decode_ndjson(text) else {
        return;
    };
    pollster::block_on(async {
        let name = "fuzz-import";
        MemoryStore::delete(name);
        let store = MemoryStore::open(name).await.expect("a fresh store opens");
        let batch: Vec<_> = events
            .iter()
            .cloned()
            .map(|e| (e, SyncState::Pending))
            .collect();
        match store.import(batch).await {
            Ok(imported) => {
                let loaded = store.read_all().await.expect("the log reads back");
                assert!(loaded.quarantined.is_empty());
                let stored: Vec<_> = loaded.events.into_iter().map(|e| e.envelope).collect();
                // The store was empty, so nothing was already there to skip.
                assert_eq!(imported.skipped, 0);
                assert_eq!(imported.positions, 0..events.len() as u64);
                assert_eq!(stored, events, "the log reads back differently");
            }
            Err(_) => {
                let loaded = store.read_all().await.expect("the log reads back");
                assert!(loaded.events.is_empty(), "a refused import kept events");
            }
        }
        let started = portal_store::checkpoint::cold_start(&store)
            .await
            .expect("the portal folds from what was stored");
        assert_eq!(
            started.portal.log().len() as u64,
            store.read_all().await.unwrap().head
        );
        MemoryStore::delete(name);
    });
});

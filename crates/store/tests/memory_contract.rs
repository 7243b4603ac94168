//! The store contract on the in-memory store.
#![cfg(not(target_arch = "wasm32"))]

mod contract;

use contract::Harness;
use portal_store::chunk::Chunk;
use portal_store::engine::Engine;
use portal_store::memory::MemoryBackend;
use portal_store::{LegacyReader, MemoryStore, Notice};

struct Memory;

impl Harness for Memory {
    type B = MemoryBackend;

    async fn open(&self, name: &str) -> Engine<MemoryBackend> {
        MemoryStore::open(name)
            .await
            .expect("the memory store opens")
    }

    async fn open_reading(&self, name: &str, read: impl LegacyReader) -> Engine<MemoryBackend> {
        MemoryStore::open_reading(name, read)
            .await
            .expect("the memory store opens")
    }

    async fn fresh(&self, name: &str) {
        MemoryStore::delete(name);
    }

    async fn create_schema_1(&self, name: &str, lines: &[String]) {
        MemoryStore::create_schema_1(name, lines);
    }

    async fn put_raw_chunk(&self, store: &Engine<MemoryBackend>, chunk: Chunk) {
        store.put_raw_chunk(chunk);
    }

    async fn chunk_count(&self, store: &Engine<MemoryBackend>) -> usize {
        store.chunk_count()
    }

    fn watch(&self, store: &Engine<MemoryBackend>, on_change: Box<dyn Fn(&Notice)>) {
        store.watch(on_change);
    }

    async fn settle(&self, _millis: u32) {}

    fn now_millis(&self) -> f64 {
        0.0
    }
}

contract_cases!(Memory, test, sync);

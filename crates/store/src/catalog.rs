//! What a handle knows about the stored log without holding it: where each
//! event id is, and each stream's version. Built from the chunks as they
//! are read, and brought up to date inside every write transaction, so a
//! handle that another tab has overtaken catches up before it decides.

use crate::chunk::{decode_header, decode_sync, Chunk};
use portal_domain::{EventId, StreamId};
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSpan {
    pub version: u64,
    pub first: u64,
    pub last: u64,
}

#[derive(Debug, Default)]
pub struct Catalog {
    /// Where the log ended when this handle last looked: it knows every
    /// event before this position.
    pub len: u64,
    ids: FxHashMap<EventId, u64>,
    streams: FxHashMap<StreamId, StreamSpan>,
}

impl Catalog {
    pub fn position(&self, id: EventId) -> Option<u64> {
        self.ids.get(&id).copied()
    }

    pub fn version(&self, stream: StreamId) -> u64 {
        self.streams.get(&stream).map_or(0, |s| s.version)
    }

    pub fn span(&self, stream: StreamId) -> Option<StreamSpan> {
        self.streams.get(&stream).copied()
    }

    /// Learns of an event at `position`. Only a live event (pending or
    /// synced) counts in its stream's version.
    pub fn observe(
        &mut self,
        position: u64,
        id: EventId,
        stream: StreamId,
        version: u64,
        live: bool,
    ) {
        self.ids.insert(id, position);
        let version = if live { version } else { 0 };
        self.streams
            .entry(stream)
            .and_modify(|s| {
                s.version = s.version.max(version);
                s.last = s.last.max(position);
            })
            .or_insert(StreamSpan {
                version,
                first: position,
                last: position,
            });
    }

    /// A stream's event at `version` no longer counts (it was rejected or
    /// superseded): the stream is back at the version before it.
    pub fn release(&mut self, stream: StreamId, version: u64) {
        if let Some(span) = self.streams.get_mut(&stream) {
            span.version = span.version.min(version.saturating_sub(1));
        }
    }

    /// Learns the events of `chunks` from `self.len` on; the log ends at `len`.
    /// Unreadable events are skipped here; reads report them.
    pub fn learn(&mut self, chunks: &[Chunk], len: u64) {
        let known = self.len;
        for chunk in chunks {
            if chunk.end() <= known {
                continue;
            }
            let states = decode_sync(chunk);
            for ((position, frame), state) in chunk.frames().zip(states) {
                if position < known {
                    continue;
                }
                if let Some(header) = frame.ok().and_then(|f| decode_header(&f).ok()) {
                    self.observe(
                        position,
                        header.event_id,
                        header.stream_id,
                        header.stream_version,
                        state.is_live(),
                    );
                }
            }
        }
        self.len = len;
    }
}

//! Chunks: the unit the log is stored in. A chunk holds the events of one
//! command (as appended) or of many (a segment: imported, or compacted from
//! appended chunks), so bulk paths pay one record per chunk, not per event. Each event is framed on its own, so one unreadable event is
//! quarantined without losing its neighbours.
//!
//! Frame: schema version (u16 LE), length (u32 LE), postcard bytes.

use crate::contract::{Quarantined, StoredEvent, SyncState};
use portal_domain::{Envelope, EventId, StreamId};
use portal_sync::binary::{self as stored, EVENT_SCHEMA};
use serde::Deserialize;

/// No chunk holds more events than this (commands, imports and compaction
/// all keep under it), so a read of the positions before `p` needs only the
/// chunks ending before `p + MAX_CHUNK_EVENTS`.
pub const MAX_CHUNK_EVENTS: u64 = 2048;

const HEADER: usize = 6;

/// One stored record of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub first: u64,
    pub count: u32,
    pub events: Vec<u8>,
    /// postcard `Vec<SyncState>`, one per event; kept apart so that marking
    /// events synced rewrites it without touching the events.
    pub sync: Vec<u8>,
}

pub fn frame_of(envelope: &Envelope) -> Vec<u8> {
    let payload = stored::encode(envelope);
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&EVENT_SCHEMA.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

pub fn encode_sync(states: &[SyncState]) -> Vec<u8> {
    postcard::to_allocvec(states).expect("postcard encodes sync states into a Vec")
}

/// The sync states of a chunk; unreadable ones count as pending, which is
/// safe: pushing an event the server already has is a no-op.
pub fn decode_sync(chunk: &Chunk) -> Vec<SyncState> {
    let mut states: Vec<SyncState> = postcard::from_bytes(&chunk.sync).unwrap_or_default();
    states.resize(chunk.count as usize, SyncState::Pending);
    states
}

impl Chunk {
    pub fn new(first: u64, frames: &[Vec<u8>], sync: &[SyncState]) -> Self {
        Chunk {
            first,
            count: frames.len() as u32,
            events: frames.concat(),
            sync: encode_sync(sync),
        }
    }

    /// What is left in `chunks` where a chunk was moved to `segments`, or
    /// where an import began: a key, and no events.
    pub fn stub(first: u64) -> Self {
        Chunk {
            first,
            count: 0,
            events: Vec::new(),
            sync: Vec::new(),
        }
    }

    pub fn end(&self) -> u64 {
        self.first + u64::from(self.count)
    }

    pub fn contains(&self, position: u64) -> bool {
        (self.first..self.end()).contains(&position)
    }

    /// Each event's position with its frame, or why the rest of the chunk
    /// cannot be split into frames.
    pub fn frames(&self) -> Frames<'_> {
        Frames {
            rest: &self.events,
            position: self.first,
            end: self.end(),
        }
    }

    /// Where each readable frame lies in `events`, in order; reading stops
    /// at the first frame that does not fit.
    pub fn frame_offsets(&self) -> Vec<std::ops::Range<usize>> {
        let mut offsets = Vec::with_capacity(self.count as usize);
        let mut at = 0;
        for (_, frame) in self.frames() {
            let Ok(frame) = frame else { break };
            offsets.push(at..at + frame.bytes.len());
            at += frame.bytes.len();
        }
        offsets
    }
}

#[derive(Clone, Copy)]
pub struct Frame<'a> {
    pub schema: u16,
    /// The whole frame, header included.
    pub bytes: &'a [u8],
}

impl<'a> Frame<'a> {
    /// The postcard bytes, unless a newer schema wrote them.
    fn payload(&self) -> Result<&'a [u8], String> {
        if self.schema > EVENT_SCHEMA {
            return Err(format!(
                "the event was stored in schema version {}, newer than this build reads ({EVENT_SCHEMA}); a newer tab wrote it",
                self.schema
            ));
        }
        Ok(&self.bytes[HEADER..])
    }
}

pub struct Frames<'a> {
    rest: &'a [u8],
    position: u64,
    end: u64,
}

impl<'a> Iterator for Frames<'a> {
    type Item = (u64, Result<Frame<'a>, &'static str>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.position >= self.end {
            return None;
        }
        let position = self.position;
        self.position += 1;
        if self.rest.len() < HEADER {
            self.rest = &[];
            return Some((position, Err("the record ends before this event")));
        }
        let schema = u16::from_le_bytes([self.rest[0], self.rest[1]]);
        let len = u32::from_le_bytes([self.rest[2], self.rest[3], self.rest[4], self.rest[5]]);
        let total = HEADER + len as usize;
        if self.rest.len() < total {
            self.rest = &[];
            return Some((position, Err("the record ends inside this event")));
        }
        let (bytes, rest) = self.rest.split_at(total);
        self.rest = rest;
        Some((position, Ok(Frame { schema, bytes })))
    }
}

/// The fields the store indexes, read without decoding the rest.
#[derive(Deserialize)]
pub struct Header {
    pub event_id: EventId,
    pub stream_id: StreamId,
    pub stream_version: u64,
}

pub fn decode_header(frame: &Frame<'_>) -> Result<Header, String> {
    postcard::take_from_bytes::<Header>(frame.payload()?)
        .map(|(header, _)| header)
        .map_err(|e| format!("the event cannot be read: {e}"))
}

pub(crate) fn decode_frame<'a>(
    frame: &Frame<'a>,
    interner: &mut portal_domain::Interner,
) -> Result<Envelope, String> {
    let stored: stored::EventShape<'a> = postcard::from_bytes(frame.payload()?)
        .map_err(|e| format!("the event cannot be read: {e}"))?;
    stored
        .into_envelope(interner)
        .map_err(|e| format!("the event is invalid: {e}"))
}

/// Decodes the events of `chunks` from position `from` on, into `out`.
pub fn decode_chunks(chunks: &[Chunk], from: u64, out: &mut crate::contract::Loaded) {
    let events = &mut out.events;
    decode_chunks_each(chunks, from, &mut out.quarantined, &mut |e| events.push(e));
}

/// Like `decode_chunks`, handing each event to `each` as it is decoded.
pub fn decode_chunks_each(
    chunks: &[Chunk],
    from: u64,
    quarantined: &mut Vec<Quarantined>,
    each: &mut dyn FnMut(StoredEvent),
) {
    let mut interner = portal_domain::Interner::new();
    for chunk in chunks {
        if chunk.end() <= from {
            continue;
        }
        let mut states = decode_sync(chunk).into_iter();
        for (position, frame) in chunk.frames() {
            let state = states.next().unwrap_or(SyncState::Pending);
            if position < from {
                continue;
            }
            match frame
                .map_err(str::to_owned)
                .and_then(|f| decode_frame(&f, &mut interner))
            {
                Ok(mut envelope) => {
                    if let SyncState::Synced {
                        global_position,
                        recorded_at,
                    } = &state
                    {
                        envelope.global_position = Some(*global_position);
                        envelope.recorded_at = Some(*recorded_at);
                    }
                    each(StoredEvent {
                        position,
                        envelope,
                        sync: state,
                    });
                }
                Err(reason) => quarantined.push(Quarantined { position, reason }),
            }
        }
    }
}

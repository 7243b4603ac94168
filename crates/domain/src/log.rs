//! The in-memory log that projections point into.
//!
//! Projections keep the *position* of the latest record image (an
//! application, a credential) rather than a counted reference to it: bumping
//! reference counts scattered across a large log was the main cost of replay
//! (from about 2 M to about 6 M events/s once removed; see BENCHMARKS.md).
//! Positions need the log to stay where it is, so it is append-only and
//! shared: every checkpoint reads the same log, up to its own position.

use crate::envelope::Envelope;
use append_only_vec::AppendOnlyVec;
use std::rc::Rc;

/// An append-only log shared by every state folded from it.
#[derive(Clone, Default)]
pub struct SharedLog(Rc<AppendOnlyVec<Envelope>>);

impl SharedLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    pub fn get(&self, position: usize) -> Option<&Envelope> {
        (position < self.0.len()).then(|| &self.0[position])
    }

    /// Events in log order, from `from` up to (not including) `to`.
    pub fn range(
        &self,
        from: usize,
        to: usize,
    ) -> impl DoubleEndedIterator<Item = (usize, &Envelope)> {
        let to = to.min(self.0.len());
        (from.min(to)..to).map(move |p| (p, &self.0[p]))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Envelope> + ExactSizeIterator {
        self.0.iter()
    }

    /// Appends `envelope` and returns its position. A log is built this
    /// way while it is loaded, before any state folds it; after that, a
    /// state appends (`Portal::append`), so that it stays at the head.
    pub fn push(&self, envelope: Envelope) -> usize {
        self.0.push(envelope)
    }

    /// Whether both handles are the same log.
    pub fn same(&self, other: &SharedLog) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl FromIterator<Envelope> for SharedLog {
    fn from_iter<I: IntoIterator<Item = Envelope>>(iter: I) -> Self {
        let log = Self::new();
        for envelope in iter {
            log.push(envelope);
        }
        log
    }
}

impl std::fmt::Debug for SharedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedLog({} events)", self.len())
    }
}

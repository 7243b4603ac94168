//! A log the browser closed (a full disk does) and the app opened again:
//! what the closed handle kept in memory comes over to the new one.

use crate::device::Device;
use portal_domain::Envelope;
use portal_store::{EventStore, StoreError, SyncState};

impl<S: EventStore> Device<S> {
    /// Writes back what `previous` (a handle on the same log, closed by the
    /// browser) kept and this store no longer holds. Chromium may delete a
    /// database it found damaged after a write failed on a full disk and
    /// open an empty one in its place: the closed handle's memory is then
    /// the only copy of the log, so it is stored again, in its order and
    /// with its sync states (the store skips what it still has). Returns
    /// how many events were stored again.
    pub async fn restore_from(&self, previous: &Device<S>) -> Result<usize, StoreError> {
        let kept = |d: &Device<S>| {
            d.len() as usize + d.rejected.borrow().len() + d.superseded.borrow().len()
        };
        if kept(self) >= kept(previous) {
            return Ok(0);
        }
        let events: Vec<(Envelope, SyncState)> = {
            let machine = previous.machine.borrow();
            let sync = previous.sync.borrow();
            let rejected = previous.rejected.borrow();
            let superseded = previous.superseded.borrow();
            machine
                .log()
                .iter()
                .cloned()
                .zip(sync.iter().cloned())
                .chain(
                    rejected
                        .iter()
                        .chain(superseded.iter())
                        .map(|e| (e.envelope.clone(), e.sync.clone())),
                )
                .collect()
        };
        let imported = self.store.import(events).await?;
        self.reload().await?;
        Ok((imported.positions.end - imported.positions.start) as usize)
    }

    /// Takes over what `previous` (a handle on the same log, closed by the
    /// browser and opened again as this one) was holding.
    pub fn adopt_held(&self, previous: &Device<S>) {
        let taken = std::mem::take(&mut *previous.held.borrow_mut());
        self.held.borrow_mut().extend(taken);
        self.changed(crate::device::Changed::Held);
    }
}

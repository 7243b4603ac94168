//! Credentials: each one's status at a point in time, and those about to expire.

use crate::ids::AppId;
use crate::portal::Portal;
use crate::records::{CredentialRecord, CredentialStatus};
use crate::state::App;
use chrono::{DateTime, Duration, Utc};

/// How far ahead "expiring soon" looks.
pub const EXPIRING_SOON: Duration = Duration::days(7);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CredentialView<'a> {
    pub app: App<'a>,
    pub record: &'a CredentialRecord,
    /// The status at the time asked about: past its expiry means expired,
    /// whether or not the expiry process has recorded it yet.
    pub status: CredentialStatus,
}

impl CredentialView<'_> {
    pub fn app_id(&self) -> AppId {
        self.app.id()
    }

    /// Whether the credential still grants access: active, on a live application.
    pub fn is_usable(&self) -> bool {
        self.status == CredentialStatus::Active && !self.app.is_deleted()
    }
}

impl Portal {
    /// Every credential of every application, as of `at`.
    pub fn credentials_at(&self, at: DateTime<Utc>) -> impl Iterator<Item = CredentialView<'_>> {
        self.apps().flat_map(move |app| {
            app.credentials().map(move |c| CredentialView {
                app,
                record: c.record,
                status: c.record.status_at(at),
            })
        })
    }

    /// One application's credentials as of `at`, oldest first.
    pub fn app_credentials_at(
        &self,
        app: AppId,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = CredentialView<'_>> {
        self.app(app).into_iter().flat_map(move |app| {
            app.credentials().map(move |c| CredentialView {
                app,
                record: c.record,
                status: c.record.status_at(at),
            })
        })
    }

    /// Usable credentials that expire within `window` of `at`, soonest first.
    pub fn expiring_within(&self, at: DateTime<Utc>, window: Duration) -> Vec<CredentialView<'_>> {
        let horizon = at + window;
        let mut soon: Vec<_> = self
            .credentials_at(at)
            .filter(|c| c.is_usable() && c.record.expires_at <= horizon)
            .collect();
        soon.sort_unstable_by_key(|c| (c.record.expires_at, c.record.id));
        soon
    }

    /// Credentials past their expiry whose expiry is not recorded yet, as of `at`.
    pub fn unrecorded_expiries(
        &self,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = CredentialView<'_>> {
        self.credentials_at(at).filter(|c| {
            !c.app.is_deleted()
                && c.record.status == CredentialStatus::Active
                && c.status == CredentialStatus::Expired
        })
    }
}

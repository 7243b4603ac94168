//! Commands the client's tests give, at fixed times.
#![allow(dead_code)] // Each test crate uses part of it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_domain::{
    Action, AppId, AppName, Command, CredentialId, CredentialKey, NewCredential, Owner, Plan,
    ProductName,
};

pub fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

/// A free-plan application with one credential.
pub fn create(app_id: AppId, minute: i64) -> Command {
    Command::new(
        at(minute),
        Action::CreateApplication {
            app_id,
            name: AppName::parse("Checkout").unwrap(),
            owner: Owner::parse("dev@example.com").unwrap(),
            plan: Plan::Free,
            credential: NewCredential {
                id: CredentialId(uuid::Uuid::from_u128(app_id.0.as_u128() + 1_000)),
                key: CredentialKey::parse("pl_abababab", &"ab".repeat(32)).unwrap(),
                expires_at: at(minute) + Duration::days(90),
            },
        },
    )
}

pub fn add(app_id: AppId, product: &str, minute: i64) -> Command {
    Command::new(
        at(minute),
        Action::AddApiProduct {
            app_id,
            product: ProductName::parse(product).unwrap(),
        },
    )
}

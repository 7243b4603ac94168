//! Histories a test puts on the server before a browser opens, as a
//! person's device would have pushed them then.

use chrono::{Duration, Utc};
use portal_domain::*;

/// `owner`'s application `name`, created `days` ago on the free plan with
/// the API product "maps": an upsell target once `days` passes 30.
pub fn free_application(owner: &str, name: &str, days: i64) -> Vec<Envelope> {
    let then = Utc::now() - Duration::days(days);
    let actor = Actor::parse(owner).expect("an owner is an actor");
    let meta = CommandMeta::by(actor, DeviceId(uuid::Uuid::from_u128(0x9ace)));
    let app_id = AppId(ids::derived_id(uuid::Uuid::nil(), name));
    let mut ids = SeededIds::new(days as u64);
    let mut portal = Portal::new();
    let mut log = Vec::new();
    let actions = [
        Action::CreateApplication {
            app_id,
            name: AppName::parse(name).expect("a valid name"),
            owner: Owner::parse(owner).expect("a valid owner"),
            plan: Plan::Free,
            credential: NewCredential {
                id: CredentialId(ids::derived_id(app_id.0, "credential")),
                key: CredentialKey::parse("pl_history", &"ab".repeat(32)).expect("a valid key"),
                expires_at: then + Duration::days(365),
            },
        },
        Action::AddApiProduct {
            app_id,
            product: ProductName::parse("maps").expect("a valid product"),
        },
    ];
    for (i, action) in actions.into_iter().enumerate() {
        let command = Command::new(then + Duration::minutes(i as i64), action);
        let events = portal
            .execute(&command, &meta, &mut ids)
            .expect("the history is valid");
        for envelope in events {
            portal.append(envelope.clone()).expect("at the head");
            log.push(envelope);
        }
    }
    log
}

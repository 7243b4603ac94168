//! The command behind a command's events. Sync needs it: when another
//! device changed a stream first, this device's pending commands on it are
//! decided again against the new state (ADR 11), and the log keeps
//! events, not commands. Every event carries what its command said, so the
//! command can be read back from them.

use crate::command::{Action, Command, CommandMeta, NewCredential};
use crate::envelope::Envelope;
use crate::event::Event;
use crate::records::CredentialImage;

/// Splits `events` (in log order) into the events of each command: runs on
/// one stream, with consecutive versions, the same time, cause and
/// correlation.
pub fn commands(events: &[Envelope]) -> Vec<&[Envelope]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=events.len() {
        let ends = i == events.len() || {
            let (first, next, previous) = (&events[start], &events[i], &events[i - 1]);
            next.stream_id != first.stream_id
                || next.stream_version != previous.stream_version + 1
                || next.correlation_id != first.correlation_id
                || next.causation_id != first.causation_id
                || next.occurred_at != first.occurred_at
                || next.device != first.device
        };
        if ends && start < i {
            out.push(&events[start..i]);
            start = i;
        }
    }
    out
}

/// `events` in batches of whole commands, each of at most `max` events
/// (a longer command is a batch of its own): what a push may carry, since
/// the server decides each command again from all of its events.
pub fn batches(events: &[Envelope], max: usize) -> Vec<&[Envelope]> {
    let mut out = Vec::new();
    let (mut start, mut end) = (0, 0);
    for command in commands(events) {
        if end > start && end - start + command.len() > max {
            out.push(&events[start..end]);
            start = end;
        }
        end += command.len();
    }
    if end > start {
        out.push(&events[start..end]);
    }
    out
}

/// The longest start of `events`, at most `n` long, that ends with a
/// whole command.
pub fn whole(events: &[Envelope], n: usize) -> &[Envelope] {
    let mut end = 0;
    for command in commands(events) {
        if end + command.len() > n {
            break;
        }
        end += command.len();
    }
    &events[..end]
}

/// The command that decided `events` (one command's events, in order), and
/// who gave it. Deciding it again against the state it was decided against
/// gives the same events. `None` when the events are no command's.
pub fn recover(events: &[Envelope]) -> Option<(Command, CommandMeta)> {
    let first = events.first()?;
    let meta = CommandMeta {
        actor: first.actor.clone(),
        device: first.device,
        causation_id: first.causation_id,
        correlation_id: Some(first.correlation_id),
    };
    let action = action_of(events.iter().map(|e| &e.event))?;
    Some((Command::new(first.occurred_at, action), meta))
}

fn new_credential(image: &CredentialImage) -> NewCredential {
    NewCredential {
        id: image.id,
        key: image.record.key.clone(),
        expires_at: image.record.expires_at,
    }
}

fn action_of<'a>(events: impl Iterator<Item = &'a Event> + Clone) -> Option<Action> {
    let credential = events.clone().find_map(|e| match e {
        Event::CredentialInsert(image) => Some(image),
        _ => None,
    });
    events.clone().find_map(|event| {
        Some(match event {
            Event::ApplicationInsert(record) => Action::CreateApplication {
                app_id: record.id,
                name: record.name.clone(),
                owner: record.owner.clone(),
                plan: record.plan,
                credential: new_credential(credential?),
            },
            Event::ApiProductAdded { app_id, product } => Action::AddApiProduct {
                app_id: *app_id,
                product: product.clone(),
            },
            Event::ApiProductRemoved {
                app_id,
                product,
                reason,
            } => Action::RemoveApiProduct {
                app_id: *app_id,
                product: product.clone(),
                reason: reason.clone(),
            },
            Event::OwnerChanged { app_id, to, .. } => Action::ChangeOwner {
                app_id: *app_id,
                owner: to.clone(),
            },
            Event::PlanChanged { app_id, to, .. } => Action::ChangePlan {
                app_id: *app_id,
                plan: *to,
            },
            Event::CredentialRevoked {
                app_id,
                credential_id,
            } => Action::RevokeCredential {
                app_id: *app_id,
                credential_id: *credential_id,
            },
            Event::CredentialExpired {
                app_id,
                credential_id,
                ..
            } => Action::ExpireCredential {
                app_id: *app_id,
                credential_id: *credential_id,
            },
            Event::ApplicationDeleted { app_id, .. } => {
                Action::DeleteApplication { app_id: *app_id }
            }
            Event::SurveyAdded {
                survey_id,
                app_id,
                owner,
                topic,
            } => Action::AddSurvey {
                survey_id: *survey_id,
                app_id: *app_id,
                owner: owner.clone(),
                topic: topic.clone(),
            },
            Event::SurveySent { survey_id, .. } => Action::SendSurvey {
                survey_id: *survey_id,
            },
            Event::SurveyFeedbackRecorded {
                survey_id,
                rating,
                comment,
                ..
            } => Action::RecordSurveyFeedback {
                survey_id: *survey_id,
                rating: *rating,
                comment: comment.clone(),
            },
            Event::OfferMade { app_id, offer, .. } => Action::MakeOffer {
                app_id: *app_id,
                offer: offer.clone(),
            },
            Event::OfferTakenUp {
                app_id,
                campaign_id,
            } => Action::TakeUpOffer {
                app_id: *app_id,
                campaign_id: *campaign_id,
            },
            Event::OfferDeclined {
                app_id,
                campaign_id,
            } => Action::DeclineOffer {
                app_id: *app_id,
                campaign_id: *campaign_id,
            },
            Event::ApiProductInsert(record) => Action::CreateApiProduct {
                product_id: record.id,
                description: record.description.clone(),
            },
            Event::ApiProductRetired { product_id, .. } => Action::RetireApiProduct {
                product_id: *product_id,
            },
            // A record change on its own is a new description; after a
            // retirement, the retirement above.
            Event::ApiProductUpdate(record)
                if !events
                    .clone()
                    .any(|e| matches!(e, Event::ApiProductRetired { .. })) =>
            {
                Action::DescribeApiProduct {
                    product_id: record.id,
                    description: record.description.clone(),
                }
            }
            // A credential on its own is one generated for an existing
            // application; with an application record, the creation above.
            Event::CredentialInsert(image)
                if !events
                    .clone()
                    .any(|e| matches!(e, Event::ApplicationInsert(_))) =>
            {
                Action::GenerateCredential {
                    app_id: image.record.app_id,
                    credential: new_credential(image),
                }
            }
            _ => return None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoConfig, DemoGenerator};
    use crate::{decide, Portal};

    #[test]
    fn every_demo_command_decides_again_into_the_same_events() {
        let log = DemoGenerator::generate(DemoConfig::year(7, 20_000));
        let mut portal = Portal::new();
        let groups = commands(&log);
        assert!(groups.len() > 5_000, "{} commands", groups.len());
        let mut seen = std::collections::BTreeSet::new();
        for group in groups {
            let (command, meta) = recover(group).expect("every command is recovered");
            seen.insert(command.action.name());
            let decided = decide(&command, portal.stream_state(&command))
                .unwrap_or_else(|e| panic!("{} refused again: {e}", command.action.name()));
            let original: Vec<&Event> = group.iter().map(|e| &e.event).collect();
            assert_eq!(decided.iter().collect::<Vec<_>>(), original);
            assert_eq!(meta.actor, group[0].actor);
            assert_eq!(meta.causation_id, group[0].causation_id);
            for e in group {
                portal.append(e.clone()).unwrap();
            }
        }
        // The demo history exercises every kind of command a person or a
        // process gives.
        assert!(seen.len() >= 10, "{seen:?}");
    }

    #[test]
    fn batches_and_starts_end_with_whole_commands() {
        let log = DemoGenerator::generate(DemoConfig::year(3, 2_000));
        let ends: std::collections::BTreeSet<usize> = commands(&log)
            .iter()
            .scan(0, |end, c| {
                *end += c.len();
                Some(*end)
            })
            .collect();
        let cut = batches(&log, 37);
        assert!(cut.iter().all(|b| !b.is_empty() && b.len() <= 37));
        assert_eq!(cut.iter().map(|b| b.len()).sum::<usize>(), log.len());
        let mut end = 0;
        for batch in &cut {
            end += batch.len();
            assert!(ends.contains(&end), "a batch ends mid-command at {end}");
        }
        // Some command is longer than one event, so a plain cut would split it.
        assert!((1..log.len() / 37).any(|k| !ends.contains(&(k * 37))));
        for n in [0, 1, 37, 500, 1999] {
            let start = whole(&log, n);
            assert!(start.len() <= n && (start.is_empty() || ends.contains(&start.len())));
            assert!(
                n - start.len() < 3,
                "{n}: only what the next command would overrun"
            );
        }
    }

    #[test]
    fn events_that_are_no_command_recover_nothing() {
        assert!(recover(&[]).is_none());
        let log = DemoGenerator::generate(DemoConfig::year(3, 500));
        let update_only: Vec<Envelope> = log
            .iter()
            .filter(|e| matches!(e.event, Event::ApplicationUpdate(_)))
            .take(1)
            .cloned()
            .collect();
        assert_eq!(update_only.len(), 1);
        assert!(recover(&update_only).is_none());
    }
}

//! The binary push body: the envelopes it was written from, and refusals
//! that name the problem.

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::Envelope;
use portal_sync::batch::{self, BatchError};
use portal_sync::binary::EVENT_SCHEMA;

fn unplaced(seed: u64, events: usize) -> Vec<Envelope> {
    DemoGenerator::generate(DemoConfig::year(seed, events))
}

#[test]
fn a_batch_reads_back_as_the_envelopes_it_was_written_from() {
    let events = unplaced(42, 1_000);
    assert!(events.iter().all(|e| e.global_position.is_none()));
    assert_eq!(batch::decode(&batch::encode(&events)).unwrap(), events);
}

#[test]
fn a_batch_in_another_schema_cut_short_or_with_more_after_it_is_refused_by_name() {
    let whole = batch::encode(&unplaced(7, 50));
    let mut other = whole.clone();
    other[0] = other[0].wrapping_add(1);
    assert_eq!(
        batch::decode(&other),
        Err(BatchError::Schema(EVENT_SCHEMA + 1))
    );
    assert!(matches!(
        batch::decode(&whole[..whole.len() - 3]),
        Err(BatchError::Unreadable(_))
    ));
    let mut longer = whole.clone();
    longer.push(0);
    assert!(matches!(
        batch::decode(&longer),
        Err(BatchError::Unreadable(_))
    ));
    assert!(matches!(batch::decode(&[]), Err(BatchError::Unreadable(_))));
}

#[test]
fn a_content_type_names_the_batch_and_its_schema() {
    assert!(batch::is_batch(&batch::content_type()));
    assert_eq!(batch::schema_of(&batch::content_type()), Some(EVENT_SCHEMA));
    assert!(batch::is_batch("Application/Vnd.Portal-Ledger.Batch"));
    assert_eq!(
        batch::schema_of("application/vnd.portal-ledger.batch"),
        None
    );
    assert!(!batch::is_batch("application/json"));
}

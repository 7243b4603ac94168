//! Any text given to the envelope decoder is decoded or refused with an
//! error, never a panic; what it accepts encodes to a canonical form that
//! decodes back to the same envelope.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(envelope) = portal_sync::decode(text) else {
        return;
    };
    let canonical = portal_sync::encode(&envelope);
    let again = portal_sync::decode(&canonical).expect("a canonical envelope decodes");
    assert_eq!(again, envelope, "decode(encode(e)) changed the envelope");
    assert_eq!(
        portal_sync::encode(&again),
        canonical,
        "encoding is not canonical"
    );
});

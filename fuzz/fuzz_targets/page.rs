//! Any bytes given to the binary pull page reader (what a client reads
//! from a server it does not control) are read or refused with an error,
//! never a panic; what it reads writes back to a page that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal_sync::page;

fuzz_target!(|data: &[u8]| {
    let Ok(read) = page::decode(data) else {
        return;
    };
    let again = page::encode(&read.events, read.next, read.more)
        .expect("events read from a page carry their places");
    assert_eq!(
        page::decode(&again).expect("a written page reads"),
        read,
        "decode(encode(page)) changed the page"
    );
});

//! A handler of the seed's pipeline, in a few lines: follows a tenant's
//! events on the broker with a durable consumer and prints each one.
//! Stopped and started again, it goes on where it was.
//!
//! ```sh
//! portal-server --nats-url nats://127.0.0.1:4222 &
//! cargo run -p portal-server --example follow -- nats://127.0.0.1:4222 local
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .or_else(|| std::env::var("NATS_URL").ok())
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned());
    let tenant = args.next().unwrap_or_else(|| "local".to_owned());
    let durable = args.next().unwrap_or_else(|| "portal-follow".to_owned());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let followed = runtime.block_on(portal_server::broker::consume(
        &url,
        &tenant,
        &durable,
        |delivered| {
            match portal_sync::codec::decode(&delivered.data) {
                Ok(event) => println!(
                    "#{} {} {} v{} by {}",
                    event.global_position.unwrap_or(0),
                    event.event_type().name(),
                    event.stream_id,
                    event.stream_version,
                    event.actor
                ),
                Err(e) => eprintln!("{}: an unreadable event: {e}", delivered.subject),
            }
            true
        },
    ));
    if let Err(e) = followed {
        eprintln!("follow: {e}");
        std::process::exit(1);
    }
}

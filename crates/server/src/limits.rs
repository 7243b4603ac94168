//! A rate limit per token, so that one flooding client gets 429 and the
//! others keep their latency. Token buckets (GCRA) from `governor`.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::time::Duration;

pub struct Limits {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl Limits {
    /// `per_second` requests a second per token, in bursts of up to twice that.
    pub fn per_second(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Limits {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request for `token`; when over the limit, how long to wait.
    pub fn check(&self, token: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&token.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

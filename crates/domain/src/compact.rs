//! How times are written. Human-readable formats (JSON: the wire, exports)
//! keep chrono's text; binary ones (checkpoints) write integers, which are
//! smaller, and read back without the text parser, which the browser's main
//! module then need not carry (ADR 20). Times are whole microseconds
//! (`precision`), so the integers lose nothing.

use crate::persistent::Map;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn from_micros<E: Error>(micros: i64) -> Result<DateTime<Utc>, E> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| E::custom(format!("timestamp {micros} µs is out of range")))
}

/// `Option<DateTime<Utc>>`: text, or microseconds since the epoch.
pub mod optional_time {
    use super::*;

    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            at.serialize(s)
        } else {
            at.map(|at| at.timestamp_micros()).serialize(s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        if d.is_human_readable() {
            Option::<DateTime<Utc>>::deserialize(d)
        } else {
            Option::<i64>::deserialize(d)?.map(from_micros).transpose()
        }
    }
}

/// A map keyed by day: text keys, or days since the start of the common era.
pub mod by_day {
    use super::*;

    pub fn serialize<S, V>(map: &Map<NaiveDate, V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        V: Serialize + Clone,
    {
        use chrono::Datelike;
        if s.is_human_readable() {
            map.serialize(s)
        } else {
            s.collect_seq(map.iter().map(|(day, v)| (day.num_days_from_ce(), v)))
        }
    }

    pub fn deserialize<'de, D, V>(d: D) -> Result<Map<NaiveDate, V>, D::Error>
    where
        D: Deserializer<'de>,
        V: Deserialize<'de> + Clone,
    {
        if d.is_human_readable() {
            return Map::deserialize(d);
        }
        Vec::<(i32, V)>::deserialize(d)?
            .into_iter()
            .map(|(days, v)| {
                NaiveDate::from_num_days_from_ce_opt(days)
                    .map(|day| (day, v))
                    .ok_or_else(|| D::Error::custom(format!("day {days} is out of range")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Clock {
        #[serde(with = "optional_time")]
        at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Days {
        #[serde(with = "by_day")]
        daily: Map<NaiveDate, u32>,
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn json_keeps_the_text_and_binary_writes_integers() {
        let clock = Clock {
            at: Some(at("2026-03-01T09:05:07.123456Z")),
        };
        let json = serde_json::to_string(&clock).unwrap();
        assert_eq!(json, r#"{"at":"2026-03-01T09:05:07.123456Z"}"#);
        assert_eq!(serde_json::from_str::<Clock>(&json).unwrap(), clock);
        let micros = clock.at.unwrap().timestamp_micros();
        assert_eq!(
            postcard::to_allocvec(&clock).unwrap(),
            postcard::to_allocvec(&Some(micros)).unwrap()
        );

        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let days = Days {
            daily: [(day, 7u32)].into_iter().collect(),
        };
        let json = serde_json::to_string(&days).unwrap();
        assert_eq!(json, r#"{"daily":{"2026-03-01":7}}"#);
        assert_eq!(serde_json::from_str::<Days>(&json).unwrap(), days);
        use chrono::Datelike;
        assert_eq!(
            postcard::to_allocvec(&days).unwrap(),
            postcard::to_allocvec(&vec![(day.num_days_from_ce(), 7u32)]).unwrap()
        );
    }

    #[test]
    fn binary_values_out_of_range_are_refused_by_name() {
        let bytes = postcard::to_allocvec(&Some(i64::MAX)).unwrap();
        assert!(postcard::from_bytes::<Clock>(&bytes).is_err());
        let bytes = postcard::to_allocvec(&vec![(i32::MAX, 1u32)]).unwrap();
        assert!(postcard::from_bytes::<Days>(&bytes).is_err());
        assert!(serde_json::from_str::<Clock>(r#"{"at":"not a time"}"#).is_err());
    }

    proptest! {
        #[test]
        fn any_time_and_day_survive_the_binary_form(
            micros in -62_135_596_800_000_000i64..253_402_300_799_999_999,
            days in proptest::collection::vec((-100_000i32..3_000_000, any::<u32>()), 0..20),
            none in any::<bool>(),
        ) {
            let clock = Clock { at: (!none).then(|| DateTime::from_timestamp_micros(micros).unwrap()) };
            let bytes = postcard::to_allocvec(&clock).unwrap();
            prop_assert_eq!(postcard::from_bytes::<Clock>(&bytes).unwrap(), clock);
            let days = Days {
                daily: days
                    .into_iter()
                    .map(|(d, n)| (NaiveDate::from_num_days_from_ce_opt(d).unwrap(), n))
                    .collect(),
            };
            let bytes = postcard::to_allocvec(&days).unwrap();
            prop_assert_eq!(postcard::from_bytes::<Days>(&bytes).unwrap(), days);
        }
    }
}

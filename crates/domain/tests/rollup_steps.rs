//! A fact's steps (what the store's roll-ups add up) give what `Fact::count` gives, for every window seen
//! on or after its last day: random facts of every kind, random periods and as-of days.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use xinfang_domain::catalog::{Channel, Purpose};
use xinfang_domain::figures::{Counts, Fact, FactKind, PART_OUTSIDE_ROLLUPS, Period, Window};
use xinfang_domain::fixtures::DISTRICT_LABOUR;
use xinfang_domain::ids::{RegionCode, UnitId};

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(n)
}

prop_compose! {
    fn a_fact()(
        kind in 0..6usize,
        known in 0..40i64,
        day_after_known in -5..30i64,
        done in proptest::option::of(0..60i64),
        changed in proptest::option::of((0..60i64, 0..60i64)),
        flags in 0..12u32,
        amount in 1..5u64,
    ) -> Fact {
        let kind = FactKind::ALL[kind];
        let (changed_on, changed_day) = match (kind, changed) {
            (FactKind::Decision | FactKind::Answer | FactKind::OneTime, Some((on, d))) => {
                (Some(day(known + on)), Some(day(known + d)))
            }
            _ => (None, None),
        };
        let changed_on = if kind == FactKind::OneTime { None } else { changed_on };
        Fact {
            kind,
            day: day(known + day_after_known),
            known_on: day(known),
            done_on: done.map(|d| day(known + d)),
            changed_on,
            changed_day,
            region: RegionCode::parse("330102").unwrap(),
            domain: "劳动和社会保障".into(),
            purpose: Purpose::Demand,
            channel: Channel::Letter,
            unit: UnitId::parse(DISTRICT_LABOUR).unwrap(),
            amount,
            flags: if kind == FactKind::Window { flags % 2 } else if kind == FactKind::Contact { flags * 5 % 64 } else { flags },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn steps_add_up_to_the_count(
        f in a_fact(),
        from in 0..100i64,
        length in 0..40i64,
        lag in 0..100i64,
    ) {
        let period = Period::new(day(from), day(from + length)).unwrap();
        let w = Window::new(period, period.to + Duration::days(lag)).unwrap();
        let mut want = Counts::default();
        f.count(&w, |part, n| if part != PART_OUTSIDE_ROLLUPS { want.add(part, n) });
        let mut got: std::collections::BTreeMap<_, i64> = Default::default();
        for s in f.steps() {
            prop_assert!(s.from >= s.key, "a step is never seen before its key: {s:?}");
            if period.contains(s.key) && s.from <= w.as_of {
                *got.entry(s.part).or_insert(0) += s.amount;
            }
        }
        let mut got_counts = Counts::default();
        for (part, n) in got {
            prop_assert!(n >= 0, "{part:?} below zero");
            if n > 0 {
                got_counts.add(part, n as u64);
            }
        }
        prop_assert_eq!(got_counts, want, "{:?} in {:?}", f, w);
    }
}

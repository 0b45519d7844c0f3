//! The lockout rule: when a failure locks a login, and for how long.

use chrono::TimeZone;

use super::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .expect("time")
}

fn args() -> LockoutArgs {
    LockoutArgs {
        max_failures: 3,
        lockout_secs: 60,
        lockout_max_secs: 200,
    }
}

#[test]
fn the_failure_that_reaches_the_limit_locks_the_login() {
    let mut attempts = Attempts::default();
    for expected in 1..3 {
        let (next, tripped) = attempts.failed(t(0), &args());
        assert_eq!((next.failures, tripped), (expected, None));
        assert_eq!(next.locked_at(t(0)), None);
        attempts = next;
    }
    let (locked, tripped) = attempts.failed(t(1), &args());
    assert_eq!(
        tripped,
        Some(Tripped {
            failures: 3,
            lockouts: 1,
            until: t(61)
        })
    );
    assert_eq!(locked.locked_at(t(30)), Some(t(61)));
    assert_eq!(locked.locked_at(t(61)), None, "a lock ends at its time");
}

#[test]
fn each_consecutive_lockout_lasts_twice_as_long_up_to_the_cap() {
    let mut attempts = Attempts::default();
    let mut now = t(0);
    let mut lengths = Vec::new();
    while lengths.len() < 4 {
        let (next, tripped) = attempts.failed(now, &args());
        attempts = next;
        if let Some(tripped) = tripped {
            lengths.push((tripped.until - now).num_seconds());
            now = tripped.until;
        }
    }
    assert_eq!(lengths, vec![60, 120, 200, 200]);
}

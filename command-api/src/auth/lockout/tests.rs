//! The lockout rule: when a failure locks a login, for how long, and for which sources.

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
        account_max_failures: 5,
        ..LockoutArgs::default()
    }
}

#[test]
fn the_failure_that_reaches_the_limit_locks_the_login() {
    let mut attempts = Attempts::default();
    for expected in 1..3 {
        let (next, tripped) = attempts.failed(t(0), 3, &args());
        assert_eq!((next.failures, tripped), (expected, None));
        assert_eq!(next.locked_at(t(0)), None);
        attempts = next;
    }
    let (locked, tripped) = attempts.failed(t(1), 3, &args());
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
        let (next, tripped) = attempts.failed(now, 3, &args());
        attempts = next;
        if let Some(tripped) = tripped {
            lengths.push((tripped.until - now).num_seconds());
            now = tripped.until;
        }
    }
    assert_eq!(lengths, vec![60, 120, 200, 200]);
}

#[test]
fn a_source_locked_out_does_not_lock_the_login_for_other_sources() {
    let mut attacker = Standing::default();
    let mut tripped = None;
    while tripped.is_none() {
        (attacker, tripped) = attacker.failed(t(0), &args());
    }
    assert_eq!(attacker.locked_at(t(1)), Some(t(60)));
    let owner = Standing {
        account: attacker.account,
        ..Standing::default()
    };
    assert_eq!(
        owner.locked_at(t(1)),
        None,
        "three failures lock only their source"
    );
}

#[test]
fn past_the_account_limit_only_sources_the_owner_used_get_in() {
    // Five sources, one failure each: no source reaches its limit, the account reaches its.
    let mut account = Attempts::default();
    let mut tripped = None;
    for _ in 0..5 {
        let source = Standing {
            account,
            ..Standing::default()
        };
        let (next, by) = source.failed(t(0), &args());
        assert_eq!(next.source.locked_at(t(0)), None);
        (account, tripped) = (next.account, by);
    }
    assert_eq!(tripped.map(|t| t.until), Some(t(60)));
    let unknown = Standing {
        account,
        ..Standing::default()
    };
    assert_eq!(unknown.locked_at(t(1)), Some(t(60)));
    let known = Standing {
        account,
        known_source: true,
        ..Standing::default()
    };
    assert_eq!(
        known.locked_at(t(1)),
        None,
        "the owner's usual source gets in"
    );
    assert_eq!(unknown.locked_at(t(60)), None, "the account lock ends too");
}

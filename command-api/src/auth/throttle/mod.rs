//! Rate limits on the unauthenticated entry points: token buckets per client address and per
//! account, shared by every instance (Redis), so that guessing passwords, stuffing credentials
//! or flooding refreshes costs the attacker time instead of costing us argon2 work. A limit
//! answers how long to wait; the routes turn that into 429 with `Retry-After`.

mod redis;

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use prometheus_client::encoding::EncodeLabelSet;

pub use self::redis::RedisThrottle;

/// The buckets: one per limit and subject (an address or an account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::enum_variant_names)]
pub enum Limit {
    LoginPerAddress,
    LoginPerAccount,
    RefreshPerAddress,
    SignUpPerAddress,
}

impl Limit {
    pub const ALL: [Limit; 4] = [
        Self::LoginPerAddress,
        Self::LoginPerAccount,
        Self::RefreshPerAddress,
        Self::SignUpPerAddress,
    ];

    /// Its name in Redis keys and metric labels.
    pub fn key(self) -> &'static str {
        match self {
            Self::LoginPerAddress => "login-address",
            Self::LoginPerAccount => "login-account",
            Self::RefreshPerAddress => "refresh-address",
            Self::SignUpPerAddress => "sign-up-address",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LimitLabels {
    pub limit: &'static str,
}

/// A bucket was empty: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub limit: Limit,
    pub retry_after: Duration,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ThrottleArgs {
    /// Login attempts per minute from one client address (all logins together), with as many
    /// at once; 0 disables the limit.
    #[arg(
        long = "login-rate-per-address",
        env = "LOGIN_RATE_PER_ADDRESS",
        default_value_t = 60
    )]
    pub login_per_address: u32,
    /// Login attempts per minute on one account (from every address together).
    #[arg(
        long = "login-rate-per-account",
        env = "LOGIN_RATE_PER_ACCOUNT",
        default_value_t = 10
    )]
    pub login_per_account: u32,
    /// Refreshes per minute from one client address.
    #[arg(
        long = "refresh-rate-per-address",
        env = "REFRESH_RATE_PER_ADDRESS",
        default_value_t = 600
    )]
    pub refresh_per_address: u32,
    /// Customer sign-ups per minute from one client address (each costs a password hash).
    #[arg(
        long = "sign-up-rate-per-address",
        env = "SIGN_UP_RATE_PER_ADDRESS",
        default_value_t = 10
    )]
    pub sign_up_per_address: u32,
}

impl Default for ThrottleArgs {
    fn default() -> Self {
        Self {
            login_per_address: 60,
            login_per_account: 10,
            refresh_per_address: 600,
            sign_up_per_address: 10,
        }
    }
}

impl ThrottleArgs {
    /// Requests per minute allowed by `limit`; 0 when it is off.
    pub fn per_minute(&self, limit: Limit) -> u32 {
        match limit {
            Limit::LoginPerAddress => self.login_per_address,
            Limit::LoginPerAccount => self.login_per_account,
            Limit::RefreshPerAddress => self.refresh_per_address,
            Limit::SignUpPerAddress => self.sign_up_per_address,
        }
    }
}

#[async_trait]
pub trait Throttle: Send + Sync + 'static {
    /// Takes one request from the bucket of `limit` for `subject`, or says how long to wait.
    /// Answers `Ok` when the buckets cannot be reached: limits protect availability and must
    /// not take it away (the lockout still bounds password guessing).
    async fn take(&self, limit: Limit, subject: &str) -> Result<(), Throttled>;
}

/// The subject of a per-address limit: the address, with IPv6 cut to its /64 (one host
/// controls a whole /64, so its addresses count as one). None when the address is unknown.
pub fn address_subject(ip: Option<&str>) -> Option<String> {
    match ip?.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.to_string()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(v4.to_string()),
            None => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        },
    }
}

/// The subject of a per-account limit: a digest of the canonical login, so that the buckets
/// hold no email address.
pub fn account_subject(canonical_login: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical_login.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_counts_as_its_64() {
        assert_eq!(
            address_subject(Some("2001:db8:1:2:aaaa::1")),
            address_subject(Some("2001:db8:1:2:ffff:0:0:9"))
        );
        assert_ne!(
            address_subject(Some("2001:db8:1:2::1")),
            address_subject(Some("2001:db8:1:3::1"))
        );
        assert_eq!(
            address_subject(Some("::ffff:192.0.2.7")).as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(address_subject(Some("not an address")), None);
        assert_eq!(address_subject(None), None);
    }

    #[test]
    fn account_subjects_do_not_show_the_login() {
        let subject = account_subject("alice@example.test");
        assert_eq!(subject.len(), 32);
        assert!(!subject.contains("alice"));
        assert_eq!(subject, account_subject("alice@example.test"));
        assert_ne!(subject, account_subject("bob@example.test"));
    }
}

//! What a customer's fields may hold, checked before anything is sealed or decided: each parser
//! answers the canonical value, or the field at fault (as the API spells it) with why.

use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::users::fields::{Email, Invalid};

const NAME_MAX: usize = 200;
const LINE_MAX: usize = 200;

/// Trimmed text of 1 to `max` characters without control characters.
fn text(field: &'static str, raw: &str, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    let count = value.chars().count();
    if count == 0 || count > max {
        return Err(Invalid::new(field, format!("1 to {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(field, "no control characters"));
    }
    Ok(value.to_owned())
}

/// A customer's full name.
pub fn name(raw: &str) -> Result<String, Invalid> {
    text("name", raw, NAME_MAX)
}

/// A phone number in E.164: `+`, a country code not starting with 0, 7 to 15 digits in all.
/// Spaces, dots, dashes and parentheses people type are dropped first.
pub fn phone(raw: &str) -> Result<String, Invalid> {
    let number: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let digits = number.strip_prefix('+').unwrap_or_default();
    let valid = number.starts_with('+')
        && (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    match valid {
        true => Ok(number),
        false => Err(Invalid::new(
            "phone",
            "E.164: + then 7 to 15 digits, e.g. +41446681800",
        )),
    }
}

/// A birth date: ISO 8601 (`YYYY-MM-DD`), in the past, not before 1900.
pub fn birth_date(raw: &str) -> Result<NaiveDate, Invalid> {
    let invalid = || Invalid::new("birth_date", "a past date as YYYY-MM-DD, from 1900");
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| invalid())?;
    match date.year() >= 1900 && date < Utc::now().date_naive() {
        true => Ok(date),
        false => Err(invalid()),
    }
}

/// A BCP 47 language tag as shops use them: a 2–3 letter language, then subtags of 2 to 8
/// letters or digits (`de`, `de-CH`, `zh-Hant-TW`); at most 35 characters.
pub fn locale(raw: &str) -> Result<String, Invalid> {
    let tag = raw.trim();
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    let valid = tag.len() <= 35
        && (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    match valid {
        true => Ok(tag.to_owned()),
        false => Err(Invalid::new("locale", "a BCP 47 tag such as de-CH")),
    }
}

/// A segment name ([`events::customers::is_segment_name`]).
pub fn segment(raw: &str) -> Result<String, Invalid> {
    match events::customers::is_segment_name(raw) {
        true => Ok(raw.to_owned()),
        false => Err(Invalid::new(
            "segment",
            "a lower-case letter, then lower-case letters, digits, - or _; at most 64",
        )),
    }
}

/// The officially assigned ISO 3166-1 alpha-2 codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW";

/// A postal address, as the customer typed it (trimmed), with an assigned country code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, upper-case.
    pub country: String,
    pub recipient: Option<String>,
}

/// What a request says an address is, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct RawAddress<'a> {
    pub line1: &'a str,
    pub line2: Option<&'a str>,
    pub city: &'a str,
    pub postal_code: &'a str,
    pub region: Option<&'a str>,
    pub country: &'a str,
    pub recipient: Option<&'a str>,
}

impl Address {
    pub fn parse(raw: RawAddress<'_>) -> Result<Self, Invalid> {
        let optional = |field, value: Option<&str>| {
            value
                .filter(|v| !v.trim().is_empty())
                .map(|v| text(field, v, LINE_MAX))
                .transpose()
        };
        let country = raw.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !COUNTRIES.split_whitespace().any(|c| c == country) {
            return Err(Invalid::new(
                "country",
                "an ISO 3166-1 alpha-2 code such as CH",
            ));
        }
        Ok(Self {
            line1: text("line1", raw.line1, LINE_MAX)?,
            line2: optional("line2", raw.line2)?,
            city: text("city", raw.city, 100)?,
            postal_code: text("postal_code", raw.postal_code, 16)?,
            region: optional("region", raw.region)?,
            country,
            recipient: optional("recipient", raw.recipient)?,
        })
    }
}

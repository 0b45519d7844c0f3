//! What a benchmark prints: a table of measurements, then its goals, each a ratio or a bound
//! within the same run (these machines are noisy; absolute figures are context only).

use std::fmt::Write as _;

/// One measurement: what, the figure, how it was taken.
#[derive(Debug, Clone)]
pub struct Row {
    pub what: String,
    pub result: String,
    pub notes: String,
}

impl Row {
    pub fn new(
        what: impl Into<String>,
        result: impl Into<String>,
        notes: impl Into<String>,
    ) -> Self {
        Self {
            what: what.into(),
            result: result.into(),
            notes: notes.into(),
        }
    }
}

/// One goal and whether this run met it.
#[derive(Debug, Clone)]
pub struct Goal {
    pub goal: String,
    pub measured: String,
    pub met: bool,
}

impl Goal {
    /// `platform` is at least `share` of `raw` (both rates of this run).
    pub fn share(what: &str, platform: f64, raw: f64, share: f64) -> Self {
        let ratio = platform / raw;
        Self {
            goal: format!("{what} ≥ {:.0}% of the raw limit", share * 100.0),
            measured: format!("{:.0}% ({platform:.1} of {raw:.1})", ratio * 100.0),
            met: ratio >= share,
        }
    }

    /// `value` is at most `bound` (`unit` names both).
    pub fn at_most(what: &str, value: f64, bound: f64, unit: &str) -> Self {
        Self {
            goal: format!("{what} ≤ {bound} {unit}"),
            measured: format!("{value:.1} {unit}"),
            met: value <= bound,
        }
    }

    /// `value` is at least `bound` (`unit` names both).
    pub fn at_least(what: &str, value: f64, bound: f64, unit: &str) -> Self {
        Self {
            goal: format!("{what} ≥ {bound} {unit}"),
            measured: format!("{value:.0} {unit}"),
            met: value >= bound,
        }
    }
}

/// The measurements, then the goals, as Markdown.
pub fn markdown(rows: &[Row], goals: &[Goal]) -> String {
    let mut out = String::from("| measurement | result | notes |\n|---|---|---|\n");
    for row in rows {
        let _ = writeln!(out, "| {} | {} | {} |", row.what, row.result, row.notes);
    }
    if !goals.is_empty() {
        out.push_str("\n| goal | measured | met? |\n|---|---|---|\n");
        for goal in goals {
            let met = if goal.met { "yes" } else { "no" };
            let _ = writeln!(out, "| {} | {} | {met} |", goal.goal, goal.measured);
        }
    }
    out
}

/// The `q` quantile (0 to 1) of `values` by nearest rank, sorting them; `None` when empty.
pub fn nearest_rank<T: Ord + Copy>(values: &mut [T], q: f64) -> Option<T> {
    values.sort_unstable();
    let last = values.len().checked_sub(1)?;
    values
        .get(((values.len() as f64 * q) as usize).min(last))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantile_is_the_value_at_its_rank_in_sorted_order() {
        let mut values: Vec<u32> = (1..=100).rev().collect();
        assert_eq!(nearest_rank(&mut values, 0.5), Some(51));
        assert_eq!(nearest_rank(&mut values, 0.99), Some(100));
        assert_eq!(nearest_rank(&mut values, 1.0), Some(100));
        assert_eq!(nearest_rank(&mut values, 0.0), Some(1));
        assert_eq!(nearest_rank::<u32>(&mut [], 0.5), None);
    }

    #[test]
    fn a_share_is_met_at_the_bound_and_not_below() {
        assert!(Goal::share("logins", 90.0, 100.0, 0.9).met);
        assert!(!Goal::share("logins", 89.0, 100.0, 0.9).met);
        assert!(Goal::at_most("p99", 5.0, 5.0, "ms").met);
        assert!(!Goal::at_most("p99", 5.1, 5.0, "ms").met);
        assert!(Goal::at_least("refreshes", 1200.0, 1200.0, "/s").met);
    }

    #[test]
    fn goals_follow_the_measurements() {
        let text = markdown(
            &[Row::new("raw", "10/s", "n")],
            &[Goal::share("x", 5.0, 10.0, 0.9)],
        );
        assert!(text.contains("| raw | 10/s | n |"));
        assert!(text.contains("| x ≥ 90% of the raw limit | 50% (5.0 of 10.0) | no |"));
    }
}

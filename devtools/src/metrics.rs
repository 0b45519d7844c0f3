//! Reading Prometheus/OpenMetrics text, for tests and benchmarks that check a server's
//! `/metrics`.

/// The value of an unlabelled sample `name`.
pub fn value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// The sum of every sample of `name` carrying all of `labels` (0 when there is none).
pub fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split(['{', ' ']).next() == Some(name)
                && labels
                    .iter()
                    .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The cumulative `(le, count)` buckets of the series of histogram `name` carrying all of
/// `labels` (one series: a histogram with more, say one per projection, needs its label).
pub fn buckets(text: &str, name: &str, labels: &[(&str, &str)]) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{");
    text.lines()
        .filter(|l| l.starts_with(&prefix))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, l.rsplit(' ').next()?.parse().ok()?))
        })
        .collect()
}

/// The `q` quantile of cumulative `(le, count)` buckets, interpolated inside its bucket.
pub fn quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let rank = buckets.last().map_or(0.0, |b| b.1) * q;
    let mut previous = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return previous.0;
            }
            let within = (rank - previous.1) / (count - previous.1).max(1.0);
            return previous.0 + (le - previous.0) * within;
        }
        previous = (le, count);
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "\
# TYPE lag_seconds histogram
lag_seconds_bucket{projection=\"p\",le=\"1.0\"} 5
lag_seconds_bucket{projection=\"p\",le=\"2.0\"} 10
lag_seconds_bucket{projection=\"p\",le=\"+Inf\"} 10
lag_seconds_bucket{projection=\"q\",le=\"1.0\"} 0
lag_seconds_bucket{projection=\"q\",le=\"+Inf\"} 0
events_total{projection=\"p\",outcome=\"applied\"} 3
events_total{projection=\"p\",outcome=\"parked\"} 2
leader 1
";

    #[test]
    fn samples_are_read_by_name_and_labels() {
        assert_eq!(value(PAGE, "leader"), Some(1.0));
        assert_eq!(value(PAGE, "absent"), None);
        assert_eq!(sum(PAGE, "events_total", &[]), 5.0);
        assert_eq!(sum(PAGE, "events_total", &[("outcome", "parked")]), 2.0);
        assert_eq!(sum(PAGE, "events", &[]), 0.0, "names match whole");
    }

    #[test]
    fn quantiles_interpolate_inside_their_bucket() {
        let b = buckets(PAGE, "lag_seconds", &[("projection", "p")]);
        assert_eq!(b, vec![(1.0, 5.0), (2.0, 10.0), (f64::INFINITY, 10.0)]);
        assert_eq!(buckets(PAGE, "lag_seconds", &[]).len(), 5, "every series");
        assert_eq!(quantile(&b, 0.5), 1.0);
        assert_eq!(quantile(&b, 0.75), 1.5);
    }
}

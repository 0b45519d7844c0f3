//! What Linux says about a process: the benchmarks' memory, thread and descriptor columns, for
//! the bench process itself or for a server it started.

use std::path::PathBuf;

fn dir(pid: u32) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}"))
}

/// A field of `/proc/<pid>/status`: its number (kB for the memory fields).
pub fn status(pid: u32, field: &str) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(dir(pid).join("status"))?;
    parse_status(&text, field).ok_or_else(|| anyhow::anyhow!("{field} not in /proc/{pid}/status"))
}

fn parse_status(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Resident memory of `pid` now, in MB.
pub fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    Ok(status(pid, "VmRSS")? as f64 / 1024.0)
}

/// Peak resident memory (`VmHWM`) of `pid`, in MB.
pub fn peak_mb(pid: u32) -> anyhow::Result<f64> {
    Ok(status(pid, "VmHWM")? as f64 / 1024.0)
}

/// Lowers the peak of `pid` to its resident memory now, so [`peak_mb`] measures from here.
pub fn reset_peak(pid: u32) -> anyhow::Result<()> {
    // Writing 5 to clear_refs resets VmHWM (proc(5)).
    Ok(std::fs::write(dir(pid).join("clear_refs"), "5")?)
}

/// CPU time `pid` has used so far (user and system), in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let text = std::fs::read_to_string(dir(pid).join("stat"))?;
    parse_cpu_ticks(&text)
        .map(|ticks| ticks as f64 / CLOCK_TICKS_PER_SECOND)
        .ok_or_else(|| anyhow::anyhow!("no CPU times in /proc/{pid}/stat"))
}

/// CPU time a Redis server has used so far, in seconds, from its `INFO cpu` answer.
pub fn redis_cpu_seconds(info: &str) -> f64 {
    ["used_cpu_sys:", "used_cpu_user:"]
        .iter()
        .filter_map(|field| {
            let line = info.lines().find(|l| l.starts_with(field))?;
            line[field.len()..].trim().parse::<f64>().ok()
        })
        .sum()
}

/// CPU time used so far by every process whose command name is `comm` (`postgres`, `java`),
/// in seconds: a server made of many processes. Processes that ended are not counted.
pub fn cpu_seconds_of_every(comm: &str) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let named = std::fs::read_to_string(dir(pid).join("comm"));
        if named.is_ok_and(|n| n.trim_end() == comm) {
            // A process may end between the two reads.
            total += cpu_seconds(pid).unwrap_or_default();
        }
    }
    Ok(total)
}

/// `USER_HZ`, 100 on every Linux architecture the platform runs on.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime: fields 14 and 15 of `stat`, counted after the command name, which is in
/// parentheses and may itself hold spaces.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// How many file descriptors `pid` holds open.
pub fn open_fds(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(dir(pid).join("fd"))?.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_read_by_its_exact_name() {
        let text = "VmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t7\n";
        assert_eq!(parse_status(text, "VmRSS"), Some(1024));
        assert_eq!(parse_status(text, "VmHWM"), Some(2048));
        assert_eq!(parse_status(text, "Threads"), Some(7));
        assert_eq!(parse_status(text, "Vm"), None);
    }

    #[test]
    fn cpu_times_are_read_past_a_name_with_spaces() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
    }

    #[test]
    fn this_process_is_readable() {
        let me = std::process::id();
        assert!(rss_mb(me).expect("VmRSS") > 0.0);
        assert!(open_fds(me).expect("fds") > 0);
        let name = std::fs::read_to_string(format!("/proc/{me}/comm")).expect("comm");
        let mine = cpu_seconds(me).expect("cpu");
        assert!(cpu_seconds_of_every(name.trim_end()).expect("cpu") >= mine);
        assert_eq!(cpu_seconds_of_every("no such command").expect("cpu"), 0.0);
    }
}

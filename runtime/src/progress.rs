//! A line on standard error every few seconds while a long step runs, so that whoever watches
//! a deploy sees it move; a short step says nothing until it is done.

use std::io::Write;
use std::time::{Duration, Instant};

/// How often a long backfill says how far it got: `TIDEMARK_PROGRESS_SECONDS`, 5 by default.
fn every_from_env() -> Duration {
    let seconds = std::env::var("TIDEMARK_PROGRESS_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(5);
    Duration::from_secs(seconds)
}

/// The batches of one backfill, told as they commit.
pub(crate) struct Progress<W: Write> {
    what: String,
    every: Duration,
    started: Instant,
    last: Instant,
    batches: u64,
    out: W,
}

impl Progress<std::io::Stderr> {
    /// Tells standard error, at the environment's interval.
    pub(crate) fn on_stderr(what: String) -> Self {
        Progress::new(what, every_from_env(), std::io::stderr())
    }
}

impl<W: Write> Progress<W> {
    pub(crate) fn new(what: String, every: Duration, out: W) -> Self {
        let now = Instant::now();
        Progress {
            what,
            every,
            started: now,
            last: now,
            batches: 0,
            out,
        }
    }

    /// One batch committed: `rows` filled so far, and, when the batches walk a key range,
    /// the share of it done.
    pub(crate) fn batch(&mut self, rows: u64, share: Option<f64>) {
        self.batches += 1;
        if self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        let share = share.map_or_else(String::new, |s| {
            format!(", {:.0}% of the key range", (s * 100.0).clamp(0.0, 100.0))
        });
        // A closed standard error must not stop the migration.
        writeln!(
            self.out,
            "tidemark: backfilling {}: {rows} row(s) in {} batch(es) so far{share}, {:.0} s",
            self.what,
            self.batches,
            self.started.elapsed().as_secs_f64()
        )
        .ok();
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;
    use std::time::Duration;

    #[test]
    fn a_long_run_tells_how_far_it_got_and_a_short_one_stays_quiet() {
        let mut out = Vec::new();
        let mut told = Progress::new("`t.c`".into(), Duration::ZERO, &mut out);
        told.batch(1000, Some(0.25));
        told.batch(2000, None);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with(
                "tidemark: backfilling `t.c`: 1000 row(s) in 1 batch(es) so far, 25% of the key range"
            ),
            "{text}"
        );
        assert!(
            lines[1]
                .starts_with("tidemark: backfilling `t.c`: 2000 row(s) in 2 batch(es) so far, ")
        );

        let mut quiet = Vec::new();
        let mut short = Progress::new("`t.c`".into(), Duration::from_secs(3600), &mut quiet);
        short.batch(1000, Some(0.5));
        assert!(quiet.is_empty());
    }
}

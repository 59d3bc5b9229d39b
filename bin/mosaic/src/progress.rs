//! Progress of long commands (`snark setup`, `snark wrap`, `prove`): a bar with the stage and the time
//! spent in a terminal, plain lines on stderr otherwise (logs, CI).
use indicatif::{ProgressBar, ProgressStyle};
use std::{io::IsTerminal, time::Instant};

/// One command's progress.
pub(crate) struct Progress {
    label: &'static str,
    bar: Option<ProgressBar>,
    started: Instant,
    stage: parking_lot::Mutex<String>,
}

impl Progress {
    /// Progress of `label`: a bar if stderr is a terminal.
    pub(crate) fn new(label: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(1000);
            let style =
                ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed_precise}] {wide_bar} {percent:>3}%")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label);
            bar.enable_steady_tick(std::time::Duration::from_millis(250));
            bar
        });
        Self { label, bar, started: Instant::now(), stage: Default::default() }
    }

    /// Now at `fraction` (0 to 1), in stage `stage`.
    pub(crate) fn set(&self, fraction: f32, stage: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
                bar.set_message(stage.to_string());
            }
            None => {
                let mut last = self.stage.lock();
                if *last != stage {
                    eprintln!("{}: {stage} ({:.1} s)", self.label, self.started.elapsed().as_secs_f64());
                    *last = stage.to_string();
                }
            }
        }
    }

    /// Done: clears the bar (the command prints its result itself).
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_terminal_each_stage_is_one_line_and_repeats_are_quiet() {
        // Tests run with stderr captured: no bar.
        let p = Progress::new("test");
        assert!(p.bar.is_none() || std::io::stderr().is_terminal());
        p.set(0.1, "one");
        p.set(0.2, "one");
        assert_eq!(*p.stage.lock(), if p.bar.is_none() { "one" } else { "" });
        p.finish();
    }
}

//! Telling the operator how a load goes: a progress bar per stage on a terminal
//! (`indicatif`, on stderr), and one summary line per stage on stdout either way.

use std::{
    cell::RefCell,
    io::{IsTerminal, Write},
};

use indicatif::{ProgressBar, ProgressStyle};

/// Receives the progress of a load, stage by stage.
pub trait Progress {
    /// A stage begins: what it makes and how many objects it will go through.
    fn begin(&self, what: &str, total: u64);
    /// `done` more objects of the current stage are done.
    fn advance(&self, done: u64);
    /// The current stage ended; `line` says what it did.
    fn end(&self, line: &str);
}

/// The progress reporter for this process: a bar when stderr is a terminal, summary
/// lines only otherwise.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::default())
    } else {
        Box::new(Lines)
    }
}

/// Prints a line on stdout; a closed pipe is not worth failing a load for.
fn print(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// One summary line per stage on stdout.
pub struct Lines;

impl Progress for Lines {
    fn begin(&self, _what: &str, _total: u64) {}

    fn advance(&self, _done: u64) {}

    fn end(&self, line: &str) {
        print(line);
    }
}

/// A progress bar per stage on stderr, replaced by the stage's summary line on stdout
/// when it ends.
#[derive(Default)]
pub struct Bar {
    current: RefCell<Option<ProgressBar>>,
}

impl Progress for Bar {
    fn begin(&self, what: &str, total: u64) {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{prefix:<36} [{bar:30}] {human_pos}/{human_len} {msg} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        if let Some(old) = self.current.replace(Some(bar)) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, done: u64) {
        if let Some(bar) = &*self.current.borrow() {
            bar.inc(done);
            let secs = bar.elapsed().as_secs_f64();
            if secs > 0.0 {
                let rate = (bar.position() as f64 / secs).round() as u64;
                bar.set_message(format!("{} objects/s", super::thousands(rate)));
            }
        }
    }

    fn end(&self, line: &str) {
        if let Some(bar) = self.current.take() {
            bar.finish_and_clear();
        }
        print(line);
    }
}

/// Keeps the summary lines (for tests).
#[derive(Default)]
pub struct Recorded {
    /// Every line `end` was given.
    pub lines: RefCell<Vec<String>>,
}

impl Progress for Recorded {
    fn begin(&self, _what: &str, _total: u64) {}

    fn advance(&self, _done: u64) {}

    fn end(&self, line: &str) {
        self.lines.borrow_mut().push(line.to_string());
    }
}

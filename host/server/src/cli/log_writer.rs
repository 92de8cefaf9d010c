//! The log's writer: one line per event, whatever the event carries. A value a client
//! chose — a username with a line break, a path with an escape sequence — is written
//! with its control characters escaped (`\n`, `\r`, `\u{1b}` …), so that it can neither
//! forge a log line nor drive the terminal.

use std::io::Write;

/// Makes [`Escaping`] writers to standard error (`ansi`: the log's own colour codes
/// stay, as the formatter writes them).
#[derive(Clone, Copy)]
pub struct EscapingStderr {
    /// Whether the formatter writes ANSI colour codes (escape characters stay then).
    pub ansi: bool,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for EscapingStderr {
    type Writer = Escaping<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        Escaping {
            inner: std::io::stderr(),
            ansi: self.ansi,
        }
    }
}

/// Writes each event (one `write` of a whole formatted line) with the control
/// characters inside it escaped; the line's final line feed stays.
pub struct Escaping<W: Write> {
    inner: W,
    ansi: bool,
}

/// `line` with its control characters escaped, but a final `\n` and tabs (and, with
/// `ansi`, escape characters, which the formatter's colours use).
pub fn escape(line: &str, ansi: bool) -> String {
    let (body, end) = match line.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (line, ""),
    };
    let mut out = String::with_capacity(line.len());
    for c in body.chars() {
        match c {
            '\t' => out.push(c),
            '\u{1b}' if ansi => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out.push_str(end);
    out
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(escape(&text, self.ansi).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_cannot_forge_a_line() {
        let event = "INFO failed login username=mallory\nERROR forged address=1\n";
        assert_eq!(
            escape(event, false),
            "INFO failed login username=mallory\\nERROR forged address=1\n"
        );
        assert_eq!(
            escape("a\r\u{1b}[31mb\u{7}\tc", false),
            "a\\r\\u{1b}[31mb\\u{7}\tc"
        );
        // The formatter's own colours stay when it writes them.
        assert_eq!(
            escape("\u{1b}[32mINFO\u{1b}[0m x\n", true),
            "\u{1b}[32mINFO\u{1b}[0m x\n"
        );
        let mut out = Vec::new();
        let mut w = Escaping {
            inner: &mut out,
            ansi: false,
        };
        w.write_all(b"one\ntwo\n").unwrap();
        assert_eq!(out, b"one\\ntwo\n");
    }
}

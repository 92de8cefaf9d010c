//! [`LoadError`]: why a plugin was refused, as one line naming the plugin, the file, what
//! was expected and what was found.

use std::{fmt, path::PathBuf};

/// A plugin failed a load-time check. Start-up stops with its one-line message.
///
/// Boxed, so that the many `Result<_, LoadError>` of the loader stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(Box<LoadErrorDetails>);

/// What a [`LoadError`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrorDetails {
    /// The plugin's name as listed in `PLUGINS`.
    pub plugin: String,
    /// The library file concerned, if one was found.
    pub file: Option<PathBuf>,
    /// What is wrong, briefly ("library not found", "dependency cycle" …).
    pub problem: String,
    /// What the host expected.
    pub expected: String,
    /// What it found instead.
    pub found: String,
    /// Long detail (such as abi_stable's layout report), shown with `--verbose` only.
    pub detail: Option<String>,
}

impl std::ops::Deref for LoadError {
    type Target = LoadErrorDetails;

    fn deref(&self) -> &LoadErrorDetails {
        &self.0
    }
}

impl LoadError {
    /// A load error for `plugin` at `file`.
    pub fn new(
        plugin: &str,
        file: Option<&std::path::Path>,
        problem: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        LoadError(Box::new(LoadErrorDetails {
            plugin: plugin.to_string(),
            file: file.map(std::path::Path::to_path_buf),
            problem: problem.into(),
            expected: expected.into(),
            found: found.into(),
            detail: None,
        }))
    }

    /// Attaches the long detail shown with `--verbose`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plugin '{}'", self.plugin)?;
        if let Some(file) = &self.file {
            write!(f, " ({})", file.display())?;
        }
        write!(
            f,
            ": {}: expected {}, found {}",
            self.problem,
            one_line(&self.expected),
            one_line(&self.found)
        )
    }
}

impl std::error::Error for LoadError {}

/// Collapses whitespace so that a message from elsewhere fits on one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_one_line_naming_plugin_file_expected_and_found() {
        let err = LoadError::new(
            "x",
            Some(std::path::Path::new("/p/libx.so")),
            "dependency cycle",
            "no cycles",
            "x -> y\n -> x",
        )
        .with_detail("a\nlong\nreport");
        assert_eq!(
            err.to_string(),
            "Plugin 'x' (/p/libx.so): dependency cycle: expected no cycles, found x -> y -> x"
        );
    }
}

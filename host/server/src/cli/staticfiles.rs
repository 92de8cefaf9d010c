//! `collectstatic`.

use std::io::{BufRead, IsTerminal, Write};

use crate::staticfiles;
use nautobot_base::error::{Error, Result};
use nautobot_config::Settings;

/// Copies static files into `STATIC_ROOT`, saying what it copied.
pub fn collectstatic(settings: &Settings, no_input: bool) -> Result<()> {
    let discovered = nautobot_app::discover_checked(settings)?;
    let root = &settings.static_root;
    let has_files = std::fs::read_dir(root).is_ok_and(|mut d| d.next().is_some());
    if has_files && !no_input && std::io::stdin().is_terminal() {
        print!(
            "This will overwrite existing files in {}.\nAre you sure you want to do this?\n\nType 'yes' to continue, or 'no' to cancel: ",
            root.display()
        );
        std::io::stdout().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Error::Usage(e.to_string()))?;
        if answer.trim() != "yes" {
            return Err(Error::Usage(
                "Collecting static files cancelled.".to_string(),
            ));
        }
    }
    let report = staticfiles::collect(root, &discovered)?;
    for path in &report.copied {
        println!("Copying '{path}'");
    }
    println!(
        "\n{} static file{} copied to '{}', {} unmodified.",
        report.copied.len(),
        if report.copied.len() == 1 { "" } else { "s" },
        root.display(),
        report.unmodified.len()
    );
    Ok(())
}

//! Files and folders that hold secrets (the configuration's `SECRET_KEY`, the SQLite
//! database with its tokens and sessions) are created readable by the server's user
//! only: files 0600, folders 0700. Existing ones keep the modes an operator gave them.

use std::{
    fs::{DirBuilder, OpenOptions},
    io::Write,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::Path,
};

use crate::error::{Error, Result};

/// Creates `dir` and its missing parents, each 0700.
pub fn create_dir(dir: &Path) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(dir, e))
}

/// Writes `text` to a new file at `path`, 0600; an existing file is an error.
pub fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}

/// Creates an empty file at `path`, 0600, unless one is there.
pub fn touch(path: &Path) -> Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_existing_files_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("a/b");
        create_dir(&inner).unwrap();
        assert_eq!(mode(&inner), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let file = inner.join("secret");
        write_new(&file, "x").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(write_new(&file, "y").is_err(), "never overwrites");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
        let open = inner.join("open");
        std::fs::write(&open, "").unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        touch(&open).unwrap();
        assert_eq!(mode(&open), 0o644);
        touch(&inner.join("db")).unwrap();
        assert_eq!(mode(&inner.join("db")), 0o600);
    }
}

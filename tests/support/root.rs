//! A temporary `NAUTOBOT_ROOT`: configuration, plugin libraries, database, and the CLI.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::{db::TestDatabase, paths, server::Server, Backend, ADMIN_TOKEN};

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct Output {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    /// Panics with everything printed unless the command succeeded.
    pub fn success(self) -> Output {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The non-empty lines of standard error.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

/// A temporary installation of the server.
pub struct Root {
    dir: tempfile::TempDir,
    /// The database it uses.
    pub database: TestDatabase,
    settings: Vec<(String, String)>,
    plugin_sections: Vec<String>,
}

impl Root {
    /// A root using `backend`, with no plugins, logging warnings and errors only.
    pub fn new(backend: Backend) -> Root {
        let dir = tempfile::Builder::new()
            .prefix("nautobot-e2e-")
            .tempdir()
            .expect("a temporary directory");
        std::fs::create_dir_all(dir.path().join("plugins")).expect("plugins folder");
        let database = TestDatabase::create(backend, dir.path());
        let mut root = Root {
            dir,
            settings: Vec::new(),
            plugin_sections: Vec::new(),
            database,
        };
        root.set(
            "SECRET_KEY",
            "\"e2e-secret-key-0123456789-0123456789-0123456789-0123456789\"",
        );
        let url = root.database.url.clone();
        root.set("DATABASE_URL", &format!("{url:?}"));
        root.set("LOG_LEVEL", "\"WARNING\"");
        root.set("ALLOWED_HOSTS", "[\"127.0.0.1\", \"localhost\"]");
        root
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.path().join("nautobot_config.toml")
    }

    /// Sets a key to a TOML value (written as given) and rewrites the file.
    pub fn set(&mut self, key: &str, toml_value: &str) -> &mut Root {
        self.settings.retain(|(k, _)| k != key);
        self.settings
            .push((key.to_string(), toml_value.to_string()));
        self.write_config();
        self
    }

    /// Copies the libraries of `plugins` into `PLUGINS_DIR` and lists them in `PLUGINS`.
    pub fn plugins(&mut self, plugins: &[&str]) -> &mut Root {
        for name in plugins {
            self.install_library(name);
        }
        let list: Vec<String> = plugins.iter().map(|p| format!("{p:?}")).collect();
        self.set("PLUGINS", &format!("[{}]", list.join(", ")))
    }

    /// Copies plugin `name`'s library into `PLUGINS_DIR` without listing it.
    pub fn install_library(&mut self, name: &str) -> PathBuf {
        let source = paths::plugin_library(name);
        let target = self
            .plugins_dir()
            .join(source.file_name().expect("a file name"));
        std::fs::copy(&source, &target).expect("copy the plugin library");
        target
    }

    /// `PLUGINS_DIR`.
    pub fn plugins_dir(&self) -> PathBuf {
        self.path().join("plugins")
    }

    /// Adds `[PLUGINS_CONFIG.<plugin>]` with the given TOML body.
    pub fn plugin_config(&mut self, plugin: &str, body: &str) -> &mut Root {
        self.plugin_sections
            .push(format!("[PLUGINS_CONFIG.{plugin}]\n{body}\n"));
        self.write_config();
        self
    }

    fn write_config(&self) {
        let mut text = String::new();
        for (key, value) in &self.settings {
            text.push_str(&format!("{key} = {value}\n"));
        }
        for section in &self.plugin_sections {
            text.push('\n');
            text.push_str(section);
        }
        std::fs::write(self.config_path(), text).expect("write the configuration");
    }

    /// A `nautobot-server` command with this root and no inherited `NAUTOBOT_*`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(paths::server_bin());
        for (key, _) in std::env::vars() {
            if key.starts_with("NAUTOBOT_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        cmd.env("NAUTOBOT_ROOT", self.path())
            .env("RUST_BACKTRACE", "0")
            .args(args);
        cmd
    }

    /// Runs `nautobot-server <args>` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_env(args, &[])
    }

    /// Runs `nautobot-server <args>` with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run nautobot-server");
        Output::from(out)
    }

    /// The install flow of the README: migrate, collectstatic, and an `admin` superuser
    /// (password `admin`) with the token [`ADMIN_TOKEN`].
    pub fn install(&mut self) -> &mut Root {
        self.run(&["migrate"]).success();
        self.run(&["collectstatic", "--no-input"]).success();
        self.run(&[
            "createsuperuser",
            "--username",
            "admin",
            "--email",
            "admin@example.com",
            "--password",
            "admin",
            "--token",
            ADMIN_TOKEN,
        ])
        .success();
        self
    }

    /// Starts the server on a free loopback port and waits until it answers.
    pub fn start(&self) -> Server {
        Server::start(self)
    }

    /// Starts the server with extra environment variables, as [`Root::start`].
    pub fn start_with_env(&self, env: &[(&str, &str)]) -> Server {
        Server::start_with_env(self, env)
    }
}

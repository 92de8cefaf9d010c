//! `nautobot-server start` on a free loopback port, stopped when dropped.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use super::{http::Client, root::Root};

/// A running server.
pub struct Server {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    log: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Server {
    /// Starts the server of `root` and waits (at most 60 s) for `/health/` to answer.
    pub fn start(root: &Root) -> Server {
        Self::start_with_env(root, &[])
    }

    /// Starts the server of `root` with extra environment variables (which the plugins
    /// see too) and waits (at most 60 s) for `/health/` to answer.
    pub fn start_with_env(root: &Root, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = root.path().join(format!("server-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create the server log");
        let mut command = root.command(&[
            "start",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
        ]);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("spawn nautobot-server start");
        let mut server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the server exited with {status} before answering:\n{}",
                    server.log()
                );
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && server.client().get("/health/").status == 200
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer within 60 s:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new client with no cookies.
    pub fn client(&self) -> Client {
        Client::new(&self.base_url())
    }

    /// A new client logged in to the web UI as `username` (the login must redirect).
    #[track_caller]
    pub fn login(&self, username: &str, password: &str) -> Client {
        let client = self.client();
        let res = client.login(username, password);
        assert_eq!(res.status, 302, "logging in as {username}: {}", res.body);
        client
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `nautobot-server start` on a loopback socket of its own, stopped when dropped.

use command_fds::{CommandFdExt, FdMapping};
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

impl Server {
    /// Starts the server of `root` and waits (at most 60 s) for `/health/` to answer.
    pub fn start(root: &Root) -> Server {
        Self::start_with_env(root, &[])
    }

    /// Starts the server of `root` with extra environment variables (which the plugins
    /// see too) and waits (at most 60 s) for `/health/` to answer.
    ///
    /// The listening socket is bound here, on a port the system picks, and handed to the
    /// server as systemd would (fd 3, `LISTEN_FDS=1`): tests run side by side, and a port
    /// found free and bound later by the server could be taken by another test meanwhile.
    pub fn start_with_env(root: &Root, env: &[(&str, &str)]) -> Server {
        let socket = TcpListener::bind("127.0.0.1:0").expect("a loopback socket");
        let port = socket.local_addr().expect("its address").port();
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
        command
            .env("LISTEN_FDS", "1")
            .fd_mappings(vec![FdMapping {
                parent_fd: socket.into(),
                child_fd: 3,
            }])
            .expect("hand the socket to the server");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("spawn nautobot-server start");
        // Our copy of the socket goes with the command: should the server die, waiting
        // connections are refused rather than queued.
        drop(command);
        let mut server = Server { child, port, log };
        let probe = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let health = format!("{}/health/", server.base_url());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the server exited with {status} before answering:\n{}",
                    server.log()
                );
            }
            if probe.get(&health).call().is_ok_and(|r| r.status() == 200) {
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

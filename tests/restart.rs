//! Zero-downtime restart: SIGHUP to `nautobot-server start` starts a new server process
//! on the same listening socket, which loads the plugins as they are now on disk; the old
//! one stops accepting, finishes its requests and exits. Sixteen clients keep requesting
//! throughout, each request on a new connection: none may fail.

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(
    sighup_replaces_the_server_without_failing_a_request,
    a_successor_that_cannot_start_leaves_the_server_serving,
    a_socket_handed_over_by_systemd_is_served,
);

/// `GET path` on a fresh connection: the status and the body, or what went wrong.
fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {ADMIN_TOKEN}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {text:?}"))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_string()))
}

/// The plugin version `/api/status/` reports, or what went wrong.
fn served_version(port: u16) -> Result<String, String> {
    let (status, body) = get(port, "/api/status/")?;
    if status != 200 {
        return Err(format!("{status}: {body}"));
    }
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    json["plugins"]["device_lifecycle"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no device_lifecycle in {json}"))
}

fn sighup_replaces_the_server_without_failing_a_request(backend: Backend) {
    let mut root = Root::new(backend);
    let library = root.plugins_dir().join("libdevice_lifecycle.so");
    std::fs::copy(
        support::paths::plugin_library("device_lifecycle_old"),
        &library,
    )
    .unwrap();
    root.set("PLUGINS", "[\"device_lifecycle\"]");
    // The new server's "listening … pid=N handed_over=true" line is at INFO.
    root.set("LOG_LEVEL", "\"INFO\"");
    root.install();
    let mut server = root.start();
    let port = server.port;
    assert_eq!(served_version(port).as_deref(), Ok("0.9.0"));

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new((
        0usize,
        Vec::<String>::new(),
        Vec::<String>::new(),
    )));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (stop, seen) = (stop.clone(), seen.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let answer = served_version(port);
                    let mut seen = seen.lock().unwrap();
                    seen.0 += 1;
                    match answer {
                        Ok(v) if !seen.1.contains(&v) => seen.1.push(v),
                        Ok(_) => {}
                        Err(e) => seen.2.push(e),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    // The operator's upgrade: install the new build, migrate, SIGHUP.
    let new_build = support::paths::plugin_library("device_lifecycle");
    root.run(&["plugins", "install", new_build.to_str().unwrap()])
        .success();
    root.run(&["migrate"]).success();
    support::data::signal(server.pid(), "HUP");

    let signalled = Instant::now();
    loop {
        if seen.lock().unwrap().1.iter().any(|v| v == "1.2.0") {
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(90),
            "the new version was never served:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Keep requesting while the old server drains and exits.
    let drained = Instant::now();
    while server.is_running() {
        assert!(
            drained.elapsed() < Duration::from_secs(60),
            "the old server did not exit:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }

    // The new server: its pid from its log line (the harness hands the first server its
    // socket too, so that one says handed_over=true as well), stopped at the end of the
    // test.
    let log = server.log();
    let original = server.pid();
    let successor: u32 = log
        .lines()
        .filter(|l| l.contains("handed_over=true"))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("pid="))
                .and_then(|p| p.parse().ok())
        })
        .find(|pid| *pid != original)
        .unwrap_or_else(|| panic!("no line from the new server:\n{log}"));
    let after = served_version(port);
    support::data::signal(successor, "TERM");

    let (requests, versions, failures) = seen.lock().unwrap().clone();
    println!(
        "restart under load [{backend:?}]: {requests} requests, {} failed, versions served {versions:?}",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(requests > 100, "only {requests} requests");
    assert_eq!(versions, vec!["0.9.0".to_string(), "1.2.0".to_string()]);
    assert_eq!(after.as_deref(), Ok("1.2.0"));
}

/// SIGHUP with a broken library on disk: the new server refuses to start, says why in
/// the log, and the running one keeps serving (and can be reloaded again later).
fn a_successor_that_cannot_start_leaves_the_server_serving(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.set("LOG_LEVEL", "\"INFO\"");
    root.install();
    let mut server = root.start();
    std::fs::write(root.plugins_dir().join("libexample_plugin.so"), "garbage").unwrap();
    support::data::signal(server.pid(), "HUP");
    let signalled = Instant::now();
    while !server.log().contains("the new server failed to start") {
        assert!(
            signalled.elapsed() < Duration::from_secs(60),
            "no word of the failed restart:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.log().contains("not a loadable library"),
        "{}",
        server.log()
    );
    assert!(server.is_running());
    let (status, _) = get(server.port, "/api/status/").unwrap();
    assert_eq!(status, 200);
}

/// systemd socket activation: the socket arrives as fd 3 with LISTEN_FDS=1; and the
/// server tells systemd (NOTIFY_SOCKET) it is ready and which process is the service's.
fn a_socket_handed_over_by_systemd_is_served(backend: Backend) {
    use command_fds::{CommandFdExt, FdMapping};
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let notify_path = root.path().join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut command = root.command(&["start", "--bind", "127.0.0.1:1"]);
    command
        .env("LISTEN_FDS", "1")
        .env("NOTIFY_SOCKET", &notify_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
        .fd_mappings(vec![FdMapping {
            parent_fd: socket.into(),
            child_fd: 3,
        }])
        .unwrap();
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let answer = loop {
        if let Ok(answer) = get(port, "/health/") {
            break answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server never answered"
        );
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut message = [0u8; 256];
    let n = notify.recv(&mut message).expect("a notification");
    assert_eq!(
        String::from_utf8_lossy(&message[..n]),
        format!("READY=1\nMAINPID={}", child.id())
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer, (200, "OK".to_string()));
}

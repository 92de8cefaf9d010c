//! Zero-downtime restarts and socket activation.
//!
//! The listening socket comes from systemd (`LISTEN_FDS`, socket activation) or from the
//! server this one replaces; otherwise the server binds it. On SIGHUP a server starts
//! its successor — the same binary with the same arguments, reading the configuration
//! and the plugin libraries as they are now — and hands it the socket (as fd 3, with
//! `LISTEN_FDS=1`). The successor loads everything, starts accepting, and says so with
//! SIGUSR1; only then does this server stop accepting, finish its in-flight requests
//! and exit. While both run, both accept on the one socket, so no connection is refused.
//! A successor that fails to start (a broken plugin, a configuration error) is reported
//! and this server keeps serving.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use actix_web::{
    dev::ServerHandle,
    rt::signal::unix::{signal, SignalKind},
};
use command_fds::{CommandFdExt, FdMapping};

use nautobot_base::error::{Error, Result};

/// The environment variable naming the process a successor reports to.
const NOTIFY: &str = "NAUTOBOT_RESTART_NOTIFY";

/// How long connections this server accepted just before it stopped accepting get to
/// send their requests.
const ACCEPTED_GRACE: Duration = Duration::from_secs(2);

/// How long a successor may take to load its plugins and start accepting.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The socket to serve on: handed over (systemd's or the previous server's), else
/// `bind` bound now. Call before any other thread starts (it reads and clears the
/// `LISTEN_*` environment variables).
pub fn listener(bind: &str) -> Result<(TcpListener, bool)> {
    let mut handed = listenfd::ListenFd::from_env();
    if handed.len() > 0 {
        match handed.take_tcp_listener(0) {
            Ok(Some(listener)) => return Ok((listener, true)),
            Ok(None) => {}
            Err(e) => {
                return Err(Error::Usage(format!(
                    "the socket handed over in LISTEN_FDS is not a TCP listener: {e}"
                )))
            }
        }
    }
    TcpListener::bind(bind)
        .map(|l| (l, false))
        .map_err(|e| Error::Usage(format!("cannot listen on {bind}: {e}")))
}

/// Says this server is serving: to systemd (`NOTIFY_SOCKET`: `READY=1` and this process
/// as the service's main process, so that `Type=notify` units follow a SIGHUP handover)
/// and to the server this one replaces, if any.
pub fn notify_serving() {
    sd_notify(&format!("READY=1\nMAINPID={}", std::process::id()));
    notify_predecessor();
}

/// Sends `message` to systemd's notification socket, when there is one.
fn sd_notify(message: &str) {
    use std::os::unix::{ffi::OsStrExt as _, net::UnixDatagram};
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|socket| {
        let bytes = path.as_bytes();
        match bytes.strip_prefix(b"@") {
            #[cfg(target_os = "linux")]
            Some(name) => {
                use std::os::linux::net::SocketAddrExt as _;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(message.as_bytes(), &addr)
            }
            _ => socket.send_to(message.as_bytes(), &path),
        }
    });
    if let Err(e) = sent {
        tracing::warn!("cannot notify systemd at {}: {e}", path.to_string_lossy());
    }
}

/// Tells the server this one replaces (if any) that this one is now serving.
fn notify_predecessor() {
    let Some(pid) = std::env::var(NOTIFY)
        .ok()
        .and_then(|p| p.parse::<i32>().ok())
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    match rustix::process::kill_process(pid, rustix::process::Signal::USR1) {
        Ok(()) => tracing::info!(
            previous = pid.as_raw_nonzero().get(),
            "serving on the socket handed over; the previous server finishes its requests and exits"
        ),
        Err(e) => tracing::warn!("cannot tell the previous server (pid {pid:?}) to stop: {e}"),
    }
}

/// Waits for SIGHUP and hands over to a successor; stops this server once it serves.
pub async fn on_sighup(handle: ServerHandle, listener: TcpListener) {
    let (Ok(mut hangup), Ok(mut ready)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::user_defined1()),
    ) else {
        tracing::warn!("cannot handle SIGHUP: restart the server to reload it");
        return;
    };
    let successor_ready = Arc::new(AtomicBool::new(false));
    let flag = successor_ready.clone();
    actix_web::rt::spawn(async move {
        while ready.recv().await.is_some() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    while hangup.recv().await.is_some() {
        tracing::info!("SIGHUP: starting a new server on the same socket");
        successor_ready.store(false, Ordering::SeqCst);
        let mut child = match spawn_successor(&listener) {
            Ok(child) => child,
            Err(e) => {
                tracing::error!("cannot start a new server ({e}); this one keeps serving");
                continue;
            }
        };
        let started = Instant::now();
        let outcome = loop {
            if successor_ready.load(Ordering::SeqCst) {
                break Ok(());
            }
            match child.try_wait() {
                Ok(Some(status)) => break Err(format!("it exited ({status})")),
                Ok(None) => {}
                Err(e) => break Err(e.to_string()),
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "it did not serve within {} s",
                    START_TIMEOUT.as_secs()
                ));
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        };
        match outcome {
            Ok(()) => {
                tracing::info!(
                    successor = child.id(),
                    "the new server is serving: this one stops accepting, finishes its requests and exits"
                );
                // Stop accepting first: connections accepted already get a moment to
                // send their requests, which then count as in flight; the successor
                // takes every connection from now on (the queue is the socket's).
                handle.pause().await;
                actix_web::rt::time::sleep(ACCEPTED_GRACE).await;
                handle.stop(true).await;
                return;
            }
            Err(why) => tracing::error!(
                "the new server failed to start ({why}; its log says why): this one keeps serving"
            ),
        }
    }
}

/// Starts this binary again with the same arguments, the socket at fd 3.
fn spawn_successor(listener: &TcpListener) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    // A binary replaced on disk shows as "<path> (deleted)": start the new one.
    let exe = match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        Some(path) => std::path::PathBuf::from(path),
        None => exe,
    };
    let socket: std::os::fd::OwnedFd = listener.try_clone()?.into();
    let mut command = Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .env("LISTEN_FDS", "1")
        .env_remove("LISTEN_PID")
        .env_remove("LISTEN_FDNAMES")
        .env(NOTIFY, std::process::id().to_string())
        .stdin(Stdio::null());
    command
        .fd_mappings(vec![FdMapping {
            parent_fd: socket,
            child_fd: 3,
        }])
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    command.spawn()
}

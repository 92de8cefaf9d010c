//! In-process calls that run inside a SQLite write (custom validators) are made on a
//! thread of their own, so that a validator that hangs past `PLUGIN_CALL_TIMEOUT` costs
//! its write a 504 and a rollback at the deadline — releasing the database's one write
//! lock — instead of holding it for as long as it hangs. The plugin sees its host services through a [`HostProxy`]: each service is a
//! question answered by the write's thread, which alone touches the write's connection;
//! once the write has given up, the stuck call's questions go unanswered.

use std::{
    sync::{mpsc, Arc},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{
    isolated::{serve, Ask, HostProxy},
    registry::LoadedPlugin,
    CallServices,
};
use nautobot_base::error::Error;

enum Message {
    Ask {
        verb: String,
        args: Vec<String>,
        reply: mpsc::Sender<Value>,
    },
    Done(Result<String, Error>),
}

/// The questions of the call's thread, sent to the write's thread.
struct ToCaller {
    tx: mpsc::Sender<Message>,
}

impl Ask for ToCaller {
    fn ask(&self, verb: &str, args: &[&str]) -> Value {
        let (reply, answer) = mpsc::channel();
        let question = Message::Ask {
            verb: verb.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            reply,
        };
        if self.tx.send(question).is_err() {
            return gone();
        }
        answer.recv().unwrap_or_else(|_| gone())
    }
}

/// The answer to a question nobody waits for any more.
fn gone() -> Value {
    serde_json::json!({"err": {"code": "internal", "message": "the call this service belonged to has ended"}})
}

/// Calls `plugin`'s `name` handler of `kind` on a new thread, serving its host services
/// from `services` on this one, and waits at most `PLUGIN_CALL_TIMEOUT`.
pub fn call(
    plugin: &Arc<LoadedPlugin>,
    kind: &str,
    name: &str,
    payload: &str,
    services: &CallServices<'_>,
) -> Result<String, Error> {
    let (tx, rx) = mpsc::channel::<Message>();
    let request = super::deadline::current_request();
    let (p, k, n, body) = (
        plugin.clone(),
        kind.to_string(),
        name.to_string(),
        payload.to_string(),
    );
    let caller = tx.clone();
    run(Box::new(move || {
        let asker = ToCaller { tx: caller.clone() };
        let proxy = HostProxy { channel: &asker };
        let work = || p.call_offloaded(&k, &n, &body, &proxy);
        let out = match &request {
            Some(id) => super::deadline::in_request(id, work),
            None => work(),
        };
        let _ = caller.send(Message::Done(out));
    }))
    .map_err(|e| Error::Internal(format!("cannot start a plugin call: {e}")))?;
    drop(tx);
    let limit = super::deadline::timeout();
    let started = Instant::now();
    loop {
        let message = match limit {
            Some(limit) => {
                let left = limit
                    .checked_sub(started.elapsed())
                    .unwrap_or(Duration::ZERO);
                match rx.recv_timeout(left) {
                    Ok(m) => m,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        return Err(Error::PluginTimeout {
                            plugin: plugin.name().to_string(),
                            seconds: limit.as_secs(),
                        })
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return Err(ended(plugin)),
                }
            }
            None => rx.recv().map_err(|_| ended(plugin))?,
        };
        match message {
            Message::Ask { verb, args, reply } => {
                let _ = reply.send(serve(services, &verb, &args));
            }
            Message::Done(out) => return out,
        }
    }
}

/// Work for a call thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Call threads kept waiting for work at most (a write of many objects validates each on
/// one, so they are reused rather than started each time).
const MAX_IDLE: usize = 16;

/// The call threads waiting for work: each takes its next job through its channel.
static IDLE: std::sync::Mutex<Vec<mpsc::Sender<Job>>> = std::sync::Mutex::new(Vec::new());

/// Runs `job` on an idle call thread, or a new one. A thread whose call hangs is simply
/// not idle: it never comes back while the call lasts.
fn run(job: Job) -> std::io::Result<()> {
    let idle = IDLE.lock().ok().and_then(|mut idle| idle.pop());
    let job = match idle {
        Some(worker) => match worker.send(job) {
            Ok(()) => return Ok(()),
            Err(returned) => returned.0,
        },
        None => job,
    };
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("plugin call".into())
        .spawn(move || {
            job();
            loop {
                match IDLE.lock() {
                    Ok(mut idle) if idle.len() < MAX_IDLE => idle.push(tx.clone()),
                    _ => return,
                }
                match rx.recv() {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        })
        .map(|_| ())
}

fn ended(plugin: &LoadedPlugin) -> Error {
    Error::Internal(format!(
        "the call into plugin '{}' ended without an answer",
        plugin.name()
    ))
}

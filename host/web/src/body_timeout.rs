//! Request bodies arrive in time, as request heads must (actix answers a head slower
//! than 5 s with 408): a body that pauses longer than [`IDLE`] between chunks, or takes
//! longer than [`TOTAL`] in all, ends the request with 408. A client trickling a body a
//! byte at a time cannot hold a worker (and whatever the handler holds) for ever.

use std::{
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use actix_web::{
    body::BoxBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    middleware::Next,
    web, HttpMessage, HttpResponse,
};
use futures_core::Stream;

/// The longest pause between two chunks of a body.
pub const IDLE: Duration = Duration::from_secs(10);
/// The longest a whole body may take.
pub const TOTAL: Duration = Duration::from_secs(60);

/// A body read under the two limits; `timed_out` is set when one ran out.
struct Timed {
    inner: Payload,
    started: Instant,
    idle: Pin<Box<actix_web::rt::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl Stream for Timed {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if self.started.elapsed() > TOTAL {
                    return Poll::Ready(Some(Err(self.expire())));
                }
                let next = actix_web::rt::time::Instant::now() + IDLE;
                self.idle.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(self.expire()))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

use std::future::Future as _;

impl Timed {
    fn expire(&self) -> PayloadError {
        self.timed_out.store(true, Ordering::Relaxed);
        PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the request body did not arrive in time",
        ))
    }
}

/// Puts the request's body under the time limits; a request whose body ran out of time
/// is answered 408.
pub async fn limit(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let timed_out = Arc::new(AtomicBool::new(false));
    let inner = req.take_payload();
    let timed = Timed {
        inner,
        started: Instant::now(),
        idle: Box::pin(actix_web::rt::time::sleep(IDLE)),
        timed_out: timed_out.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(timed),
    });
    let res = next.call(req).await?;
    if !timed_out.load(Ordering::Relaxed) {
        return Ok(res);
    }
    let detail = format!(
        "The request body did not arrive in time (at most {} s between its parts, {} s in all).",
        IDLE.as_secs(),
        TOTAL.as_secs()
    );
    let response = if res.request().path().starts_with("/api/") {
        HttpResponse::RequestTimeout().json(serde_json::json!({ "detail": detail }))
    } else {
        HttpResponse::RequestTimeout()
            .content_type("text/plain; charset=utf-8")
            .body(detail)
    };
    Ok(res.into_response(response))
}

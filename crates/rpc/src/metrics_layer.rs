//! Serves `GET /metrics` (Prometheus text format) beside JSON-RPC on the same port.
use http_body_util::Full;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use mosaic_node::Metrics;
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tower::{Layer, Service};

/// Wraps the RPC service, answering `/metrics` itself.
#[derive(Clone)]
pub(crate) struct MetricsLayer {
    metrics: Metrics,
}

impl MetricsLayer {
    /// A layer serving `metrics`.
    pub(crate) fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MetricsService { inner, metrics: self.metrics.clone() }
    }
}

/// The service [`MetricsLayer`] produces.
#[derive(Clone)]
pub(crate) struct MetricsService<S> {
    inner: S,
    metrics: Metrics,
}

impl<S> Service<HttpRequest<HttpBody>> for MetricsService<S>
where
    S: Service<HttpRequest<HttpBody>, Response = HttpResponse<HttpBody>>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse<HttpBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: HttpRequest<HttpBody>) -> Self::Future {
        if req.method() == hyper::Method::GET && req.uri().path() == "/metrics" {
            let body = self.metrics.render();
            let resp = HttpResponse::builder()
                .header("content-type", "text/plain; version=0.0.4")
                .body(HttpBody::new(Full::new(hyper::body::Bytes::from(body))))
                .expect("static response parts are valid");
            return Box::pin(async move { Ok(resp) });
        }
        Box::pin(self.inner.call(req))
    }
}

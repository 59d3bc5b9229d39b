//! Plain `GET` pages beside JSON-RPC on the same port: `/metrics` (Prometheus text format) and, when on,
//! the block explorer (`mosaic_explorer`). Everything else goes to the RPC server.
use http_body_util::Full;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use mosaic_node::Metrics;
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};
use tower::{Layer, Service};

/// The page for a path, if it is one of ours.
type Routes = Arc<dyn Fn(&str) -> Option<HttpResponse<HttpBody>> + Send + Sync>;

/// Wraps the RPC service, answering its own `GET` paths itself.
#[derive(Clone)]
pub(crate) struct GetRoutes {
    routes: Routes,
}

impl GetRoutes {
    /// `/metrics` from `metrics`, and `/explorer…` if `explorer`.
    pub(crate) fn new(metrics: Metrics, explorer: bool) -> Self {
        let routes = move |path: &str| {
            if path == "/metrics" {
                let body = metrics.render();
                let resp = HttpResponse::builder()
                    .header("content-type", "text/plain; version=0.0.4")
                    .body(HttpBody::new(Full::new(hyper::body::Bytes::from(body))))
                    .expect("static response parts are valid");
                return Some(resp);
            }
            explorer.then(|| mosaic_explorer::response(path)).flatten()
        };
        Self { routes: Arc::new(routes) }
    }
}

impl<S> Layer<S> for GetRoutes {
    type Service = GetRoutesService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GetRoutesService { inner, routes: self.routes.clone() }
    }
}

/// The service [`GetRoutes`] produces.
#[derive(Clone)]
pub(crate) struct GetRoutesService<S> {
    inner: S,
    routes: Routes,
}

impl<S> Service<HttpRequest<HttpBody>> for GetRoutesService<S>
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
        if req.method() == hyper::Method::GET {
            if let Some(resp) = (self.routes)(req.uri().path()) {
                return Box::pin(async move { Ok(resp) });
            }
        }
        Box::pin(self.inner.call(req))
    }
}

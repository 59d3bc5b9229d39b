//! The block explorer: a page the node serves at `/explorer` on its JSON-RPC port (latest blocks and
//! transactions, a transaction's receipt, logs and call tree with the VM, gas and cycles of every frame,
//! accounts and contracts, batches with their L1 status and proofs).
//!
//! The page is a client of the node's own JSON-RPC — standard `eth_*`, `debug_traceTransaction` with
//! `callTracer`, and `mosaic_getBatch` / `mosaic_rollupStatus` — so it shows exactly what any tool sees
//! and needs no second API; this crate only serves its three files, built into the binary. JSON-RPC is
//! the seam: the same page works against any Mosaic node, and the node knows nothing of the page.
use http_body_util::Full;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tower::{Layer, Service};

/// Where the page is served.
pub const PATH: &str = "/explorer";

const INDEX: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/explorer.js");
const STYLE: &str = include_str!("../assets/explorer.css");

/// The file served at `path` as `(content type, body)`; `None` for paths that are not the page's.
pub fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/explorer" | "/explorer/" | "/explorer/index.html" => Some(("text/html; charset=utf-8", INDEX)),
        "/explorer/explorer.js" => Some(("text/javascript; charset=utf-8", SCRIPT)),
        "/explorer/explorer.css" => Some(("text/css; charset=utf-8", STYLE)),
        _ => None,
    }
}

fn response(status: u16, content_type: &str, body: &'static str) -> HttpResponse<HttpBody> {
    HttpResponse::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-content-type-options", "nosniff")
        // The page only talks to the origin that served it; nothing is inlined or loaded from elsewhere.
        .header(
            "content-security-policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        .header("cache-control", "no-cache")
        .body(HttpBody::new(Full::new(hyper::body::Bytes::from_static(body.as_bytes()))))
        .expect("static response parts are valid")
}

/// Wraps the RPC service, answering `GET /explorer…` itself when enabled.
#[derive(Clone, Copy, Debug)]
pub struct ExplorerLayer {
    enabled: bool,
}

impl ExplorerLayer {
    /// A layer that serves the page if `enabled`, and otherwise passes every request on.
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }
}

impl<S> Layer<S> for ExplorerLayer {
    type Service = ExplorerService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ExplorerService { inner, enabled: self.enabled }
    }
}

/// The service [`ExplorerLayer`] produces.
#[derive(Clone, Debug)]
pub struct ExplorerService<S> {
    inner: S,
    enabled: bool,
}

impl<S> Service<HttpRequest<HttpBody>> for ExplorerService<S>
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
        let path = req.uri().path();
        if self.enabled && req.method() == hyper::Method::GET && (path == PATH || path.starts_with("/explorer/")) {
            let resp = match asset(path) {
                Some((content_type, body)) => response(200, content_type, body),
                None => response(404, "text/plain; charset=utf-8", "not found\n"),
            };
            return Box::pin(async move { Ok(resp) });
        }
        Box::pin(self.inner.call(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// A mock inner service (the JSON-RPC server's place) that answers 299 to everything.
    #[derive(Clone)]
    struct MockRpc;

    impl Service<HttpRequest<HttpBody>> for MockRpc {
        type Response = HttpResponse<HttpBody>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: HttpRequest<HttpBody>) -> Self::Future {
            std::future::ready(Ok(response(299, "text/plain", "rpc")))
        }
    }

    async fn status_with(enabled: bool, method: &str, path: &str) -> (u16, Option<String>) {
        let mut svc = ExplorerLayer::new(enabled).layer(MockRpc);
        let req = HttpRequest::builder().method(method).uri(path).body(HttpBody::empty()).unwrap();
        let resp = svc.call(req).await.unwrap();
        let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
        (resp.status().as_u16(), ct)
    }

    async fn status(method: &str, path: &str) -> (u16, Option<String>) {
        status_with(true, method, path).await
    }

    #[tokio::test]
    async fn serves_the_page_and_passes_everything_else_on() {
        assert_eq!(status("GET", "/explorer").await, (200, Some("text/html; charset=utf-8".into())));
        assert_eq!(status("GET", "/explorer/").await.0, 200);
        assert_eq!(status("GET", "/explorer/explorer.js").await.1.as_deref(), Some("text/javascript; charset=utf-8"));
        assert_eq!(status("GET", "/explorer/explorer.css").await.0, 200);
        assert_eq!(status("GET", "/explorer/nope").await.0, 404);
        // JSON-RPC (POST /), other GETs and a look-alike path reach the RPC server.
        assert_eq!(status("POST", "/").await.0, 299);
        assert_eq!(status("GET", "/metrics").await.0, 299);
        assert_eq!(status("GET", "/explorers").await.0, 299);
        assert_eq!(status("POST", "/explorer").await.0, 299);
        // Turned off, the RPC server answers (JSON-RPC's own 405/404 in the real server).
        assert_eq!(status_with(false, "GET", "/explorer").await.0, 299);
    }

    #[test]
    fn the_page_loads_its_script_and_style_from_its_own_paths() {
        assert!(INDEX.contains("src=\"/explorer/explorer.js\""));
        assert!(INDEX.contains("href=\"/explorer/explorer.css\""));
    }
}

//! What depends on the transport: subscriptions need a connection that stays open, so over plain HTTP
//! `eth_subscribe` / `eth_unsubscribe` answer geth's `-32601 notifications not supported` instead of
//! jsonrpsee's internal error. An HTTP layer marks requests that are not WebSocket upgrades; an RPC
//! middleware refuses the two methods on marked requests, alone or inside a batch (whose entries
//! jsonrpsee runs past the middleware's `call`, so the batch is rewritten before it runs).
use jsonrpsee::{
    core::middleware::{Batch, BatchEntry, BatchEntryErr, Notification, RpcServiceT},
    server::{ws::is_upgrade_request, HttpBody, HttpRequest, MethodResponse},
    types::{ErrorObjectOwned, Request},
};
use std::future::Future;
use tower::{Layer, Service};

/// geth's error for subscription methods over HTTP.
pub(crate) const NOTIFICATIONS_NOT_SUPPORTED: i32 = -32601;

/// Marks a JSON-RPC request that arrived over plain HTTP (not a WebSocket).
#[derive(Clone, Copy, Debug)]
struct PlainHttp;

/// HTTP layer: marks requests that are not WebSocket upgrades.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MarkPlainHttp;

impl<S> Layer<S> for MarkPlainHttp {
    type Service = MarkPlainHttpService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MarkPlainHttpService(inner)
    }
}

/// The service [`MarkPlainHttp`] produces.
#[derive(Clone, Debug)]
pub(crate) struct MarkPlainHttpService<S>(S);

impl<S: Service<HttpRequest<HttpBody>>> Service<HttpRequest<HttpBody>> for MarkPlainHttpService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: HttpRequest<HttpBody>) -> Self::Future {
        if !is_upgrade_request(&req) {
            req.extensions_mut().insert(PlainHttp);
        }
        self.0.call(req)
    }
}

fn is_subscription(method: &str) -> bool {
    matches!(method, "eth_subscribe" | "eth_unsubscribe")
}

fn not_supported() -> ErrorObjectOwned {
    ErrorObjectOwned::owned(NOTIFICATIONS_NOT_SUPPORTED, "notifications not supported", None::<()>)
}

/// RPC middleware: subscription methods on a plain-HTTP request get [`NOTIFICATIONS_NOT_SUPPORTED`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RefuseSubscriptionsOverHttp;

impl<S> Layer<S> for RefuseSubscriptionsOverHttp {
    type Service = RefuseSubscriptions<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RefuseSubscriptions(inner)
    }
}

/// The service [`RefuseSubscriptionsOverHttp`] produces.
#[derive(Clone, Debug)]
pub(crate) struct RefuseSubscriptions<S>(S);

impl<S> RpcServiceT for RefuseSubscriptions<S>
where
    S: RpcServiceT<MethodResponse = MethodResponse> + Send + Sync + Clone + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let refuse = req.extensions().get::<PlainHttp>().is_some() && is_subscription(req.method_name());
        let inner = self.0.clone();
        async move {
            if refuse {
                MethodResponse::error(req.id().into_owned(), not_supported())
            } else {
                inner.call(req).await
            }
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        if batch.extensions().get::<PlainHttp>().is_some() {
            for entry in batch.iter_mut() {
                let refused = match entry {
                    Ok(BatchEntry::Call(req)) if is_subscription(req.method_name()) => Some(req.id().into_owned()),
                    _ => None,
                };
                if let Some(id) = refused {
                    *entry = Err(BatchEntryErr::new(id, not_supported()));
                }
            }
        }
        self.0.batch(batch)
    }

    fn notification<'a>(&self, n: Notification<'a>) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.0.notification(n)
    }
}

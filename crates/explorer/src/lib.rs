//! The block explorer: a page the node serves at `/explorer` on its JSON-RPC port (latest blocks and
//! transactions, a transaction's receipt, logs and call tree with the VM, gas and cycles of every frame,
//! accounts and contracts, batches with their L1 status and proofs).
//!
//! The page is a client of the node's own JSON-RPC — standard `eth_*`, `debug_traceTransaction` with
//! `callTracer`, and `mosaic_getBatch` / `mosaic_rollupStatus` — so it shows exactly what any tool sees
//! and needs no second API; this crate only answers for its three files, built into the binary (the RPC
//! server routes `GET /explorer…` here). JSON-RPC is the seam: the same page works against any Mosaic
//! node, and the node knows nothing of the page.
use http_body_util::Full;
use jsonrpsee::server::{HttpBody, HttpResponse};

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

/// The answer to `GET path`: the file, 404 for another path under `/explorer/`, `None` for a path
/// that is not the explorer's.
pub fn response(path: &str) -> Option<HttpResponse<HttpBody>> {
    if path != PATH && !path.starts_with("/explorer/") {
        return None;
    }
    Some(match asset(path) {
        Some((content_type, body)) => page(200, content_type, body),
        None => page(404, "text/plain; charset=utf-8", "not found\n"),
    })
}

fn page(status: u16, content_type: &str, body: &'static str) -> HttpResponse<HttpBody> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(path: &str) -> Option<(u16, String)> {
        response(path).map(|r| {
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            (r.status().as_u16(), ct)
        })
    }

    #[test]
    fn answers_for_its_files_and_nothing_else() {
        assert_eq!(status("/explorer"), Some((200, "text/html; charset=utf-8".into())));
        assert_eq!(status("/explorer/").unwrap().0, 200);
        assert_eq!(status("/explorer/explorer.js").unwrap().1, "text/javascript; charset=utf-8");
        assert_eq!(status("/explorer/explorer.css").unwrap().0, 200);
        assert_eq!(status("/explorer/nope").unwrap().0, 404);
        // Other paths (JSON-RPC, /metrics, a look-alike) are the RPC server's.
        assert_eq!(status("/"), None);
        assert_eq!(status("/metrics"), None);
        assert_eq!(status("/explorers"), None);
    }

    #[test]
    fn the_page_loads_its_script_and_style_from_its_own_paths() {
        assert!(INDEX.contains("src=\"/explorer/explorer.js\""));
        assert!(INDEX.contains("href=\"/explorer/explorer.css\""));
    }
}

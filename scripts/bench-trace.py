#!/usr/bin/env python3
"""Times JSON-RPC calls over one keep-alive HTTP connection: scripts/bench-trace.py URL TXHASH N (a devnet with traffic, e.g. after e2e/multivm-demo.sh)"""
import http.client, json, sys, time, urllib.parse
url, h, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
def call(method, params):
    conn.request("POST", "/", json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}), {"content-type": "application/json"})
    r = json.loads(conn.getresponse().read())
    assert "result" in r, r
    return r["result"]
for name, method, params, k in [
    ("eth_blockNumber (baseline)", "eth_blockNumber", [], n),
    ("callTracer", "debug_traceTransaction", [h, {"tracer": "callTracer"}], n),
    ("prestateTracer", "debug_traceTransaction", [h, {"tracer": "prestateTracer"}], n),
    ("struct logger", "debug_traceTransaction", [h, {}], max(n // 10, 5)),
]:
    call(method, params)
    t = time.perf_counter()
    for _ in range(k):
        call(method, params)
    print(f"{name}: {(time.perf_counter() - t) / k * 1e3:.2f} ms per call ({k} calls)")

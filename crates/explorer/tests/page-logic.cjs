// Unit test of the page's pure logic (batch status, proofs, escaping, amounts) in Node, outside a
// browser: explorer.js runs in a VM context with a mock window/document (this test's only mock).
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const source = fs.readFileSync(path.join(__dirname, "../assets/explorer.js"), "utf8");
const mockDom = { addEventListener() {} };
const ctx = vm.createContext({ window: mockDom, document: mockDom, location: { hash: "" }, BigInt, Date, Map, Array, Number, String });
vm.runInContext(`${source}\n;globalThis.page = { batchStatus, proofOf, esc, eth };`, ctx);
const { batchStatus, proofOf, esc, eth } = ctx.page;

const record = (index, extra = {}) => ({ index, status: "committed", ...extra });
// L1's word first: a batch at or below the finalized index is finalized whatever else is known.
assert.equal(batchStatus(record(3), { settlement: { finalizedBatch: 3 } }), "finalized");
assert.equal(batchStatus(record(4), { settlement: { finalizedBatch: 3 } }), "committed");
// A challenge this node plays.
const game = { challenger: { games: [{ index: 4, status: "challenged" }] } };
assert.equal(batchStatus(record(4), game), "challenged");
// Proven by the devnet's batch prover, or by the validity pipeline (zk).
assert.equal(batchStatus(record(5, { proof: { status: "proven", bytes: 10 } }), {}), "proven");
const zk = { validityProver: { jobs: [{ index: 6, state: "proven", seconds: 61.25 }, { index: 7, state: "proving" }] } };
assert.equal(batchStatus(record(6), zk), "proven");
assert.deepEqual({ ...proofOf(record(6), zk) }, { status: "proven", detail: "61.3 s" });
assert.equal(proofOf(record(7), zk).status, "proving");
assert.equal(proofOf(record(8), zk), null);
// The node's record when nothing else is known.
assert.equal(batchStatus(record(9, { status: "mismatch" }), {}), "mismatch");
// A jobs field the node could not read is not a list: no proof, no crash.
assert.equal(proofOf(record(6), { validityProver: { jobs: "unreadable: io" } }), null);

assert.equal(esc(`<img src=x onerror="alert('1')">&`), "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;");
assert.equal(eth("0x1bc16d674ec80000"), "2 ETH");
assert.equal(eth("0x1b4fbd92b5f8000"), "0.123 ETH");
assert.equal(eth("0x0"), "0 ETH");
console.log("page logic: ok");

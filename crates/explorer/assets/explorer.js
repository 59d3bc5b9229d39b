// Mosaic explorer: a client of the node's JSON-RPC on the origin that served it. Routes live in the URL
// fragment (#/block/12, #/tx/0x…, #/address/0x…, #/batch/3, #/batches). Every value from the chain is
// escaped before it reaches the page: token names, revert reasons and log data are attacker-chosen.
"use strict";

const WASM_MAGIC = "0x0061736d"; // "\0asm": how the STF tells a Wasm contract from an EVM one
const PAGE_BLOCKS = 10;
const PAGE_TXS = 15;
// Blocks fetched per batch request while looking back for transactions, and how far back to look: a
// chain that makes a block every few hundred milliseconds has many empty ones.
const SCAN_CHUNK = 100;
const SCAN_MAX = 2000;
const PAGE_BATCHES = 10;

// One JSON-RPC request (a call or a batch) to the node that served the page.
async function post(request) {
  const response = await fetch("/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  return response.json();
}
let rpcId = 0;
async function rpc(method, params = []) {
  const body = await post({ jsonrpc: "2.0", id: ++rpcId, method, params });
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
// Many calls in one JSON-RPC batch request (one round trip); results in the order of `calls`.
async function rpcBatch(calls) {
  if (!calls.length) return [];
  const answers = await post(calls.map(([method, params], id) => ({ jsonrpc: "2.0", id, method, params })));
  const byId = new Map(answers.map((r) => [r.id, r]));
  return calls.map(([method], id) => {
    const r = byId.get(id);
    if (!r || r.error) throw new Error(`${method}: ${r?.error?.message ?? "no answer"}`);
    return r.result;
  });
}
// Settlement methods exist only on nodes that follow an L1: their absence is not an error.
const optional = (method, params) => rpc(method, params).catch(() => null);

const esc = (v) =>
  String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const num = (h) => (h == null ? null : Number(BigInt(h)));
const hex = (n) => "0x" + n.toString(16);
const short = (h) => (h && h.length > 18 ? `${h.slice(0, 10)}…${h.slice(-6)}` : h ?? "");
const mono = (s) => `<span class="mono">${esc(s)}</span>`;
const badge = (text, cls) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;
const vmBadge = (vm) => badge(String(vm).toUpperCase(), `vm-${String(vm).toLowerCase()}`);
const link = (route, text, full) => `<a class="mono" href="#/${esc(route)}" title="${esc(full ?? text)}">${esc(text)}</a>`;
const blockLink = (n) => link(`block/${n}`, String(n));
const txLink = (h, full = false) => link(`tx/${h}`, full ? h : short(h), h);
const addrLink = (a, full = false) => (a ? link(`address/${a}`, full ? a : short(a), a) : `<span class="muted">—</span>`);
const batchLink = (i) => link(`batch/${i}`, `#${i}`);

function eth(weiHex) {
  const wei = BigInt(weiHex ?? 0);
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${whole}${frac ? "." + frac : ""} ETH`;
}
function age(tsHex) {
  const s = Math.max(0, Math.floor(Date.now() / 1000) - num(tsHex));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}
const table = (head, rows, empty = "None yet.") =>
  rows.length
    ? `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
        .join("")}</tbody></table>`
    : `<p class="muted">${esc(empty)}</p>`;
const fields = (pairs) => `<dl>${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
const card = (k, v) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`;

// ---- rollup status -------------------------------------------------------------------------------

// A batch's proof: the devnet's batch prover (`proof` in mosaic_getBatch) or, for a zk batch, the
// validity pipeline's job (mosaic_rollupStatus.validityProver.jobs); `{status, detail}` or null.
function proofOf(record, rollup) {
  if (record.proof) return { status: record.proof.status, detail: record.proof.bytes ? `${record.proof.bytes} bytes` : record.proof.error };
  const jobs = rollup?.validityProver?.jobs;
  const job = Array.isArray(jobs) ? jobs.find((j) => j.index === record.index) : null;
  return job ? { status: job.state, detail: job.error ?? (job.seconds ? `${job.seconds.toFixed(1)} s` : "") } : null;
}

// A batch's L1 status, most advanced first: what L1 says (settlement watch), a challenge this node
// plays, its proof, then this node's own record.
function batchStatus(record, rollup) {
  const settlement = rollup?.settlement ?? {};
  const game = (rollup?.challenger?.games ?? []).find((g) => g.index === record.index);
  if (settlement.finalizedBatch != null && record.index <= settlement.finalizedBatch) return "finalized";
  if (record.status === "finalized") return "finalized";
  if (game && game.status === "challenged") return "challenged";
  if (proofOf(record, rollup)?.status === "proven") return "proven";
  if (record.status === "mismatch" || record.status === "malformed") return record.status;
  return "committed";
}
const statusBadge = (s) => badge(s, `st-${s}`);
const proofCell = (p) => (p ? statusBadge(p.status) : `<span class="muted">—</span>`);

async function recentBatches(rollup, count) {
  const last = rollup?.lastBatch?.index;
  if (!last) return [];
  const indices = [];
  for (let i = last; i >= 1 && indices.length < count; i--) indices.push(i);
  return (await Promise.all(indices.map((i) => optional("mosaic_getBatch", [hex(i)])))).filter(Boolean);
}

function batchRows(batches, rollup) {
  return batches.map((b) => [
    batchLink(b.index),
    `${blockLink(b.firstBlock)} – ${blockLink(b.lastBlock)}`,
    esc(b.txCount),
    statusBadge(batchStatus(b, rollup)),
    proofCell(proofOf(b, rollup)),
    mono(short(b.l1Tx)),
    esc(b.l1Block),
  ]);
}
const BATCH_HEAD = ["Batch", "L2 blocks", "Txs", "L1 status", "Proof", "L1 transaction", "L1 block"];

// ---- pages ---------------------------------------------------------------------------------------

async function overview() {
  const [head, chainId, gasPrice, rollup] = await Promise.all([
    rpc("eth_blockNumber"),
    rpc("eth_chainId"),
    rpc("eth_gasPrice"),
    optional("mosaic_rollupStatus"),
  ]);
  const n = num(head);
  let blocks = [];
  const txs = [];
  for (let top = n; top >= 0 && n - top < SCAN_MAX && txs.length < PAGE_TXS; top -= SCAN_CHUNK) {
    const calls = [];
    for (let i = top; i >= 0 && i > top - SCAN_CHUNK; i--) calls.push(["eth_getBlockByNumber", [hex(i), true]]);
    const chunk = (await rpcBatch(calls)).filter(Boolean);
    if (!blocks.length) blocks = chunk.slice(0, PAGE_BLOCKS);
    txs.push(...chunk.flatMap((b) => b.transactions));
  }
  txs.splice(PAGE_TXS);
  const batches = await recentBatches(rollup, PAGE_BATCHES);
  const busy = (p) => p && ["queued", "proving"].includes(p.status);
  const inProgress = batches.filter((b) => busy(proofOf(b, rollup)));
  const range = rollup?.validityProver?.lastRange;
  const mode = rollup?.settlement?.mode;
  return `
    <h1>Overview</h1>
    <div class="cards">
      ${card("Chain ID", esc(num(chainId)))}
      ${card("Head block", blockLink(n))}
      ${card("Gas price", esc((num(gasPrice) / 1e9).toFixed(4)) + " gwei")}
      ${card("Settlement", rollup ? esc(mode ?? rollup.role ?? "on") : "none")}
      ${card("Last batch", rollup?.lastBatch ? batchLink(rollup.lastBatch.index) : "—")}
      ${card("Finalized batch", esc(rollup?.settlement?.finalizedBatch ?? "—"))}
    </div>
    <div class="grid">
      <section id="latest-blocks"><h2>Latest blocks</h2>${table(
        ["Block", "Hash", "Txs", "Gas used", "Age"],
        blocks.map((b) => [
          blockLink(num(b.number)),
          mono(short(b.hash)),
          esc(b.transactions.length),
          esc(num(b.gasUsed).toLocaleString("en")),
          esc(age(b.timestamp)),
        ]),
      )}</section>
      <section id="latest-txs"><h2>Latest transactions</h2>${table(
        ["Hash", "Block", "From", "To", "Value"],
        txs.map((t) => [txLink(t.hash), blockLink(num(t.blockNumber)), addrLink(t.from), addrLink(t.to), esc(eth(t.value))]),
      )}</section>
    </div>
    <section id="batches"><h2>Batches</h2>${
      rollup ? table(BATCH_HEAD, batchRows(batches, rollup), "No batch committed yet.") : `<p class="muted">This node follows no L1.</p>`
    }</section>
    <section id="proofs"><h2>Proofs in progress</h2>${table(
      ["Batch", "L2 blocks", "Proof"],
      inProgress.map((b) => [batchLink(b.index), `${esc(b.firstBlock)} – ${esc(b.lastBlock)}`, proofCell(proofOf(b, rollup))]),
      "No proof in progress.",
    )}${
      range
        ? `<p>Last range: batches ${batchLink(range.from)} – ${batchLink(range.to)} ${statusBadge(range.state)}
           <span class="muted">${esc(range.aggregate ? "aggregated, for finalizeRange" : "one batch, for proveBatch")}</span></p>`
        : ""
    }</section>`;
}

async function blockPage(id) {
  const block = /^0x[0-9a-fA-F]{64}$/.test(id)
    ? await rpc("eth_getBlockByHash", [id, true])
    : await rpc("eth_getBlockByNumber", [hex(BigInt(id)), true]);
  if (!block) throw new Error(`no block ${id}`);
  const n = num(block.number);
  return `
    <h1>Block ${esc(n)}</h1>
    <section id="block">${fields([
      ["Hash", mono(block.hash)],
      ["Parent", n > 0 ? link(`block/${n - 1}`, block.parentHash) : mono(block.parentHash)],
      ["Timestamp", esc(new Date(num(block.timestamp) * 1000).toISOString()) + ` <span class="muted">(${esc(age(block.timestamp))})</span>`],
      ["Transactions", esc(block.transactions.length)],
      ["Gas used / limit", `${esc(num(block.gasUsed).toLocaleString("en"))} / ${esc(num(block.gasLimit).toLocaleString("en"))}`],
      ["Base fee", esc(num(block.baseFeePerGas)) + " wei"],
      ["Fee recipient", addrLink(block.miner, true)],
      ["State root", mono(block.stateRoot)],
    ])}</section>
    <section id="block-txs"><h2>Transactions</h2>${table(
      ["Hash", "From", "To", "Value", "Gas limit"],
      block.transactions.map((t) => [txLink(t.hash), addrLink(t.from), addrLink(t.to), esc(eth(t.value)), esc(num(t.gas))]),
      "No transactions.",
    )}</section>`;
}

// The call tree from callTracer: every frame with its VM, gas and cycles.
function frameTree(frame) {
  const kids = (frame.calls ?? []).map((c) => `<li>${frameTree(c)}</li>`).join("");
  const failed = frame.error ? ` ${badge(frame.error + (frame.revertReason ? `: ${frame.revertReason}` : ""), "st-fail")}` : "";
  const value = frame.value && BigInt(frame.value) > 0n ? ` <span class="muted">value</span> ${esc(eth(frame.value))}` : "";
  return `<div class="frame">${vmBadge(frame.vm)} <b>${esc(frame.type)}</b> ${addrLink(frame.from)} → ${addrLink(frame.to)}
      <span class="muted">gas</span> <span class="gas">${esc(num(frame.gasUsed))}</span>
      <span class="muted">cycles</span> <span class="cycles">${esc(frame.cycles)}</span>
      <span class="muted">input</span> ${mono(short(frame.input))}${value}${failed}</div>${kids ? `<ul class="tree">${kids}</ul>` : ""}`;
}

async function txPage(hash) {
  const [tx, receipt] = await Promise.all([rpc("eth_getTransactionByHash", [hash]), rpc("eth_getTransactionReceipt", [hash])]);
  if (!tx) throw new Error(`no transaction ${hash}`);
  const trace = receipt ? await optional("debug_traceTransaction", [hash, { tracer: "callTracer" }]) : null;
  const ok = receipt && receipt.status === "0x1";
  const status = !receipt ? badge("pending", "st-committed") : ok ? badge("success", "st-ok") : badge("failed", "st-fail");
  const logs = (receipt?.logs ?? []).map((l) => [
    esc(num(l.logIndex)),
    addrLink(l.address),
    `<div class="data mono">${l.topics.map(esc).join("<br>")}</div>`,
    `<div class="data mono">${esc(l.data)}</div>`,
  ]);
  return `
    <h1>Transaction</h1>
    <section id="tx">${fields([
      ["Hash", mono(hash)],
      ["Status", status],
      ["Block", tx.blockNumber ? blockLink(num(tx.blockNumber)) : "pending"],
      ["From", addrLink(tx.from, true)],
      ["To", tx.to ? addrLink(tx.to, true) : `created ${addrLink(receipt?.contractAddress, true)}`],
      ["Value", esc(eth(tx.value))],
      ["Nonce", esc(num(tx.nonce))],
      ["Gas used / limit", `${esc(receipt ? num(receipt.gasUsed) : "—")} / ${esc(num(tx.gas))}`],
      ["Effective gas price", receipt ? esc(num(receipt.effectiveGasPrice)) + " wei" : "—"],
      ["Type", esc(num(tx.type))],
      ["Input", `<div class="data mono">${esc(tx.input)}</div>`],
    ])}</section>
    <section id="calls"><h2>Call tree</h2>${
      trace && trace.type ? `<ul class="tree">${`<li>${frameTree(trace)}</li>`}</ul>` : `<p class="muted">No trace.</p>`
    }</section>
    <section id="logs"><h2>Logs</h2>${table(["#", "Address", "Topics", "Data"], logs, "No logs.")}</section>`;
}

async function addressPage(address) {
  const [balance, nonce, code] = await Promise.all([
    rpc("eth_getBalance", [address, "latest"]),
    rpc("eth_getTransactionCount", [address, "latest"]),
    rpc("eth_getCode", [address, "latest"]),
  ]);
  const size = (code.length - 2) / 2;
  const vm = size === 0 ? null : code.toLowerCase().startsWith(WASM_MAGIC) ? "wasm" : "evm";
  return `
    <h1>${size ? "Contract" : "Account"}</h1>
    <section id="account">${fields([
      ["Address", mono(address)],
      ["Balance", esc(eth(balance))],
      ["Nonce", esc(num(nonce))],
      ["VM", vm ? vmBadge(vm) : `<span class="muted">none (no code)</span>`],
      ["Code size", `${esc(size.toLocaleString("en"))} bytes`],
    ])}</section>
    ${size ? `<section id="code"><h2>Code</h2><div class="data mono">${esc(code.length > 4002 ? code.slice(0, 4002) + "…" : code)}</div></section>` : ""}`;
}

async function batchesPage() {
  const rollup = await optional("mosaic_rollupStatus");
  if (!rollup) return `<h1>Batches</h1><p class="muted">This node follows no L1.</p>`;
  const batches = await recentBatches(rollup, 50);
  return `<h1>Batches</h1><section id="batches">${table(BATCH_HEAD, batchRows(batches, rollup), "No batch committed yet.")}</section>`;
}

async function batchPage(index) {
  const [batch, rollup] = await Promise.all([optional("mosaic_getBatch", [hex(BigInt(index))]), optional("mosaic_rollupStatus")]);
  if (!batch) throw new Error(`no batch ${index}`);
  const game = (rollup?.challenger?.games ?? []).find((g) => g.index === batch.index);
  const proof = proofOf(batch, rollup);
  return `
    <h1>Batch ${esc(batch.index)}</h1>
    <section id="batch">${fields([
      ["L1 status", statusBadge(batchStatus(batch, rollup))],
      ["This node's record", badge(batch.status, `st-${batch.status}`)],
      ["L2 blocks", `${blockLink(batch.firstBlock)} – ${blockLink(batch.lastBlock)}`],
      ["Transactions", esc(batch.txCount)],
      ["Data", `${esc(batch.dataBytes.toLocaleString("en"))} bytes, hash ${mono(batch.dataHash)}`],
      ["L1 transaction", mono(batch.l1Tx)],
      ["L1 block", esc(batch.l1Block)],
      ["Claimed state root", mono(batch.claimedStateRoot)],
      ["Computed state root", batch.computedStateRoot ? mono(batch.computedStateRoot) : `<span class="muted">not re-executed here</span>`],
      ["Proof", proof ? `${proofCell(proof)} ${esc(proof.detail ?? "")}` : "—"],
      ["Challenge", game ? `${statusBadge(game.status)} by ${addrLink(game.challenger)} ${esc(game.note ?? "")}` : "—"],
      ...(batch.error ? [["Error", `<span class="error">${esc(batch.error)}</span>`]] : []),
    ])}</section>`;
}

// ---- routing -------------------------------------------------------------------------------------

const ROUTES = [
  [/^$/, overview, "overview"],
  [/^block\/(\d+|0x[0-9a-fA-F]{64})$/, blockPage, "block"],
  [/^tx\/(0x[0-9a-fA-F]{64})$/, txPage, "tx"],
  [/^address\/(0x[0-9a-fA-F]{40})$/, addressPage, "address"],
  [/^batches$/, batchesPage, "batches"],
  [/^batch\/(\d+)$/, batchPage, "batch"],
];

async function render() {
  const main = document.getElementById("main");
  const route = location.hash.replace(/^#\/?/, "");
  delete document.body.dataset.ready;
  for (const [pattern, page, name] of ROUTES) {
    const m = route.match(pattern);
    if (!m) continue;
    try {
      main.innerHTML = await page(...m.slice(1));
      document.body.dataset.ready = name;
    } catch (e) {
      main.innerHTML = `<p class="error">${esc(e.message)}</p>`;
      document.body.dataset.ready = "error";
    }
    return;
  }
  main.innerHTML = `<p class="error">Unknown page: ${esc(route)}</p>`;
  document.body.dataset.ready = "error";
}

function search(event) {
  event.preventDefault();
  const q = document.getElementById("query").value.trim();
  if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
  else if (/^0x[0-9a-fA-F]{40}$/.test(q)) location.hash = `#/address/${q}`;
  else if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
    // A 32-byte hash is a transaction's or a block's.
    rpc("eth_getTransactionByHash", [q]).then((tx) => (location.hash = tx ? `#/tx/${q}` : `#/block/${q}`));
  }
}

window.addEventListener("hashchange", render);
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("search").addEventListener("submit", search);
  render();
});

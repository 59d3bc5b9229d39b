//! Guest cycles per batch, from OpenVM's metered executor (the first run generates the app proving key,
//! which takes minutes):
//! * one-transfer and 16-transfer batches of ETH transfers from distinct senders, signed and
//!   signature-less (the difference gives the marginal cycles of one ETH transfer);
//! * on a MultiVM chain, a batch of 1 and of 9 of each workload — ETH transfer, ERC-20 transfer in the
//!   EVM and in Wasm, a Solidity AMM swap over Wasm tokens (cross-VM), a deposit, a withdrawal — whose
//!   difference gives the marginal cycles per transaction, split by phase with the profile guest
//!   (`guest/profile`: the batch guest's work cut off after each phase);
//! * per workload, the marginal gas next to the marginal cycles, gas per 1,000 cycles, and whether gas
//!   per proving cycle stays within 2× across the workloads that pay gas (issue #20's target for the
//!   Wasm gas schedule; a deposit pays none);
//! * per workload, the chain's cycle estimate (`mosaic_stf::cost`) next to the measured cycles, and the
//!   execution counters it is computed from — the data the default `CycleSchedule` is fitted to;
//! * per precompile (every Osaka precompile, `sample::Precompile`), batches of 1 and 3 calls: cycles per
//!   call beyond a plain transaction, gas, and cycles per gas, and a real point evaluation (and a failing
//!   one) from Ethereum's vectors.
//!
//! Needs `scripts/build-guest.sh --profile` and `scripts/build-wasm-contracts.sh` first.
//! `cargo bench -p mosaic-prover --bench guest_cycles`
use mosaic_batch::Variant;
use mosaic_node::{trace_block, ChainReader, Node};
use mosaic_prover::{
    batch_witness, check_public_value, profile_vm,
    sample::{self, Precompile, Scenario, Workload},
    BatchWitness, Guest, GuestRun, OpenVm, ZkVm,
};
use std::time::Instant;

fn run(guest: &Guest, node: &Node, block: u64, variant: Variant) -> (GuestRun, BatchWitness) {
    let (witness, native) = batch_witness(node, block, block, variant).expect("witness");
    let run = guest.measure(&witness).expect("guest run");
    check_public_value(run.journal_hash, &native.journal).expect("journal");
    (run, witness)
}

/// Cycles of the profile guest's modes 0..=4 on `witness`.
fn phases(profile: &OpenVm, witness: &BatchWitness) -> [u64; 5] {
    let bytes = witness.encode();
    [0u8, 1, 2, 3, 4].map(|mode| profile.measure(&[&[mode][..], &bytes].concat()).expect("profile run").cycles)
}

/// (witness decoding, batch decoding, signatures, witness indexing, execution and state updates).
fn split(p: [u64; 5]) -> [i64; 5] {
    let p = p.map(|c| c as i64);
    [p[0], p[1] - p[0], p[2] - p[1], p[3] - p[0], p[4] - p[2] - (p[3] - p[0])]
}

/// Estimated cycles of block `n`'s transactions (and its L1 messages) by the chain's schedule, and the
/// last transaction's counters.
fn estimate(node: &Node, n: u64) -> (u64, Option<mosaic_stf::cost::TxUsage>, bool) {
    let traced = trace_block(node, n, None, Default::default()).expect("trace").expect("block");
    let block = node.block(n).expect("block").expect("block");
    let proving = node.chain_config().proving;
    let messages = block.l1_messages.len() as u64 * proving.cycles.l1_message;
    let txs: u64 = traced.iter().map(|t| t.outcome.proving_cycles).sum();
    let ok = traced.iter().all(|t| t.outcome.success);
    (messages + txs, traced.last().map(|t| t.outcome.usage.clone()), ok)
}

fn counters(u: &Option<mosaic_stf::cost::TxUsage>) -> String {
    let Some(u) = u else { return "—".into() };
    let precompile_gas: u64 = u.precompiles.iter().map(|(_, g)| g).sum();
    format!(
        "evm {} · wasm fuel {} · frames {} · traps {} · accounts {} · slots {} · precompile gas {}",
        u.evm_instructions, u.wasm_fuel, u.wasm_frames, u.host_traps, u.accounts, u.slots, precompile_gas
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let _enter = rt.enter();
    let guest = Guest::load(&sample::checkout_guest_elf()).expect("guest ELF (run scripts/build-guest.sh)");
    println!("guest ELF keccak {}", guest.elf_hash());
    // `-- precompiles` measures only the precompiles (≈ 3 min instead of ≈ 10).
    let only_precompiles = std::env::args().skip(1).any(|a| a == "precompiles");
    let profile = profile_vm(&sample::checkout_profile_elf()).expect("profile ELF (scripts/build-guest.sh --profile)");
    let mut ratios = Vec::new();
    let mut estimates = Vec::new();
    if !only_precompiles {
        workloads(&guest, &profile, &mut ratios, &mut estimates);
    }
    precompiles(&guest, &estimates);
    point_evaluations(&guest);
    if ratios.is_empty() {
        return;
    }
    let max = ratios.iter().cloned().fold((Workload::EthTransfer, f64::MIN), |m, r| if r.1 > m.1 { r } else { m });
    let min = ratios.iter().cloned().fold((Workload::EthTransfer, f64::MAX), |m, r| if r.1 < m.1 { r } else { m });
    let spread = max.1 / min.1;
    println!(
        "\ngas per proving cycle: highest {:?} {:.0}, lowest {:?} {:.0} per 1k cycles: spread {spread:.1}x, \
         target <= 2x: {}",
        max.0,
        max.1,
        min.0,
        min.1,
        if spread <= 2.0 { "PASS" } else { "FAIL" }
    );
}

/// ETH transfers per variant, then the MultiVM workloads: cycles per transaction by phase, gas per cycle,
/// and the chain's estimate against the measurement.
fn workloads(guest: &Guest, profile: &OpenVm, ratios: &mut Vec<(Workload, f64)>, estimates: &mut Vec<Estimate>) {
    for variant in [Variant::Signed, Variant::Unsigned] {
        let mut cycles = Vec::new();
        for n in [1usize, 16] {
            let dir = tempfile::tempdir().expect("tempdir");
            let node = sample::chain_with_transfers(dir.path(), n).expect("chain");
            let started = Instant::now();
            let (run, witness) = run(guest, &node, 1, variant);
            println!(
                "{variant:?} batch, {n:>2} ETH transfers: {:>11} cycles, cost {:>13} cells, witness {:>6} B ({:.1} s)",
                run.cycles,
                run.cost,
                witness.encode().len(),
                started.elapsed().as_secs_f64()
            );
            cycles.push(run.cycles);
        }
        println!("{variant:?}: {} cycles per additional ETH transfer", (cycles[1] - cycles[0]) / 15);
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let mut chain = Scenario::new(dir.path()).expect("MultiVM chain (run scripts/build-wasm-contracts.sh)");
    println!("\nMultiVM workloads: signed batches of 1 and of 9 (one sender); per additional transaction:");
    println!(
        "| workload | batch of 1 | batch of 9 | per tx | cells per tx | witness decoding | batch decoding | \
         signature | witness indexing (tree nodes, codes) | execution + state updates | gas per tx | \
         gas per 1k cycles |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let gas_used = |node: &Node, block: u64| node.header(block).expect("header").expect("sealed block").gas_used;
    for workload in Workload::ALL {
        let one = chain.batch(workload, 1).expect("batch of 1");
        let nine = chain.batch(workload, 9).expect("batch of 9");
        let (a, wa) = run(guest, &chain.node, one, Variant::Signed);
        let (b, wb) = run(guest, &chain.node, nine, Variant::Signed);
        let (pa, pb) = (phases(profile, &wa), phases(profile, &wb));
        let (sa, sb) = (split(pa), split(pb));
        let per: Vec<String> = (0..5).map(|i| ((sb[i] - sa[i]) / 8).to_string()).collect();
        let cycles_per_tx = (b.cycles - a.cycles) / 8;
        let gas_per_tx = (gas_used(&chain.node, nine) - gas_used(&chain.node, one)) / 8;
        let ((ea, _, _), (eb, usage, _)) = (estimate(&chain.node, one), estimate(&chain.node, nine));
        estimates.push((workload, a.cycles, ea, cycles_per_tx, (eb - ea) / 8, counters(&usage)));
        let ratio = gas_per_tx as f64 * 1000.0 / cycles_per_tx as f64;
        if gas_per_tx > 0 {
            ratios.push((workload, ratio));
        }
        println!(
            "| {workload:?} | {} | {} | {cycles_per_tx} | {} | {} | {gas_per_tx} | {ratio:.0} |",
            a.cycles,
            b.cycles,
            (b.cost - a.cost) / 8,
            per.join(" | ")
        );
    }
    println!("\nCycle estimate (mosaic_stf::cost, the chain's CycleSchedule) against the measured cycles:");
    println!("| workload | batch of 1 measured | estimated | per tx measured | estimated | estimate / measured | counters of one tx |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (w, a, ea, per, eper, c) in estimates.iter() {
        println!("| {w:?} | {a} | {ea} | {per} | {eper} | {:.2} | {c} |", *eper as f64 / *per as f64);
    }
}

/// What [`workloads`] found per workload: the workload, cycles of a batch of 1 (measured, estimated),
/// per additional transaction (measured, estimated), and the counters of one transaction.
type Estimate = (Workload, u64, u64, u64, u64, String);

fn precompiles(guest: &Guest, estimates: &[Estimate]) {
    // The precompiles run on a chain without a cycle budget (the same schedules otherwise), so calls that
    // no block of the default chain may hold are measured too; the estimate says which those are.
    let wide_dir = tempfile::tempdir().expect("tempdir");
    let mut unbounded = mosaic_primitives::ChainConfig::default();
    unbounded.proving.block_cycle_budget = u64::MAX;
    let budget = mosaic_primitives::ChainConfig::default().proving.block_cycle_budget;
    let mut chain = Scenario::with_chain(wide_dir.path(), unbounded).expect("MultiVM chain without a budget");
    let eth_marginal = match estimates.iter().find(|e| e.0 == Workload::EthTransfer) {
        Some(e) => e.3,
        None => {
            let (one, nine) = (chain.batch(Workload::EthTransfer, 1), chain.batch(Workload::EthTransfer, 9));
            let (one, nine) = (one.expect("batch of 1"), nine.expect("batch of 9"));
            (run(guest, &chain.node, nine, Variant::Signed).0.cycles
                - run(guest, &chain.node, one, Variant::Signed).0.cycles)
                / 8
        }
    };
    println!(
        "\nPrecompiles: signed batches of 1 and 3 calls straight to the precompile (on a chain without a cycle \
         budget; `over` marks a call the default budget of {budget} refuses); per additional call:"
    );
    println!("| precompile | per call | beyond a transfer | gas | cycles per gas (beyond) | estimated | estimate / measured |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for p in Precompile::ALL {
        let workload = Workload::Precompile(p);
        let one = chain.batch(workload, 1).expect("batch of 1");
        let three = chain.batch(workload, 3).expect("batch of 3");
        let (ea, (eb, usage, ok)) = (estimate(&chain.node, one).0, estimate(&chain.node, three));
        assert!(ok, "{p:?}: the call fails natively; its input is wrong");
        let (a, _) = run(guest, &chain.node, one, Variant::Signed);
        let (b, _) = run(guest, &chain.node, three, Variant::Signed);
        let per = (b.cycles - a.cycles) / 2;
        let beyond = per.saturating_sub(eth_marginal);
        let gas: u64 = usage.map(|u| u.precompiles.iter().map(|(_, g)| g).sum()).unwrap_or(0);
        let eper = (eb - ea) / 2;
        let over = if eper > budget { " over" } else { "" };
        println!(
            "| {p:?}{over} | {per} | {beyond} | {gas} | {:.0} | {eper} | {:.2} |",
            beyond as f64 / gas.max(1) as f64,
            eper as f64 / per as f64
        );
    }
}

/// The point evaluation at its worst: the sample case above opens the zero polynomial (every pairing
/// input the identity), so a non-trivial valid opening from Ethereum's vectors, and the same with `y`
/// changed (the pairing does not hold: the costlier path), each sent through the probe contract in
/// blocks of 1 and 3 calls. Cycles per call, and the chain's estimate.
fn point_evaluations(guest: &Guest) {
    let suite = mosaic_conformance::Suite::bundled().expect("bundled state tests");
    let evaluation = alloy_primitives::Address::with_last_byte(0x0a);
    let precompiles =
        mosaic_stf::revm::precompile::Precompiles::new(mosaic_stf::revm::precompile::PrecompileSpecId::OSAKA);
    let calls = suite.precompile_calls(&["point_evaluation_precompile/"]);
    let Some(valid) = calls.into_iter().find(|(to, input)| {
        *to == evaluation
            && input.len() == 192
            && input[96] != 0xc0
            && precompiles.get(to).is_some_and(|p| p.execute(input, 100_000, 0).is_ok_and(|o| o.status.is_success()))
    }) else {
        println!("\nno non-trivial valid point evaluation among the bundled vectors");
        return;
    };
    let mut wrong = valid.1.to_vec();
    wrong[95] ^= 1;
    println!("\nPoint evaluation through the probe contract, per additional call:");
    println!("| input | cycles | estimated |");
    println!("| --- | ---: | ---: |");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut unbounded = mosaic_primitives::ChainConfig::default();
    unbounded.proving.block_cycle_budget = u64::MAX;
    let mut chain = Scenario::with_chain(dir.path(), unbounded).expect("chain");
    for (name, input) in [("valid, non-trivial (EEST)", valid.1.to_vec()), ("wrong y", wrong)] {
        let call = (evaluation, input);
        let (one, _) = chain.probe(std::slice::from_ref(&call)).expect("probe of 1");
        let (three, _) = chain.probe(&[call.clone(), call.clone(), call]).expect("probe of 3");
        let (wa, _) = batch_witness(&chain.node, one, one, Variant::Signed).expect("witness");
        let (wb, _) = batch_witness(&chain.node, three, three, Variant::Signed).expect("witness");
        let batch = (guest.measure(&wb).expect("run").cycles - guest.measure(&wa).expect("run").cycles) / 2;
        let estimated = (estimate(&chain.node, three).0 - estimate(&chain.node, one).0) / 2;
        println!("| {name} | {batch} | {estimated} |");
    }
}

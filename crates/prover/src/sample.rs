//! Throwaway single-sequencer chains whose blocks the guests' tests and benchmarks prove: ETH transfers
//! from many senders ([`chain_with_transfer_blocks`]), and a MultiVM chain ([`Scenario`]) with an EVM
//! and a Wasm ERC-20, a Solidity AMM over two Wasm tokens, the L2 bridge predeploy, deposits and
//! withdrawals. Contracts come from the repository: the Solidity fixtures of `bin/mosaic/tests/fixtures`,
//! the Wasm modules `scripts/build-wasm-contracts.sh` writes to `wasm/out`, the `L2Bridge` artifact.
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{Address, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolValue};
use mosaic_node::{Node, NodeConfig, NodeError};
use mosaic_primitives::{ChainConfig, L1Message, L2_BRIDGE};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

sol! {
    function transfer(address to, uint256 amount) returns (bool);
    function approve(address spender, uint256 amount) returns (bool);
    function addLiquidity(uint256 amountA, uint256 amountB) returns (uint256);
    function swap(address tokenIn, uint256 amountIn, uint256 minAmountOut, address to) returns (uint256);
    function withdrawETH(address l1Recipient);
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// This checkout's guest ELF ([`super::GUEST_ELF`]), for tests and benchmarks.
pub fn checkout_guest_elf() -> PathBuf {
    repo().join(super::GUEST_ELF)
}

/// This checkout's aggregation guest ELF ([`super::AGGREGATE_GUEST_ELF`]).
pub fn checkout_aggregate_elf() -> PathBuf {
    repo().join(super::AGGREGATE_GUEST_ELF)
}

/// This checkout's benchmark-only profile guest ELF (`scripts/build-guest.sh --profile`).
pub fn checkout_profile_elf() -> PathBuf {
    repo().join("guest/out/mosaic-guest-profile.elf")
}

/// Writes to `out` another valid batch program: the batch guest ELF with one byte of a panic message
/// changed, so it runs the same but has another executable commitment. Proofs of one must not verify as
/// proofs of the other.
pub fn write_other_program(elf: &Path, out: &Path) -> std::io::Result<()> {
    let mut bytes = std::fs::read(elf)?;
    let needle = b"batch does not execute";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .ok_or_else(|| std::io::Error::other("panic message not found in the guest ELF"))?;
    bytes[at] = b'B';
    std::fs::write(out, bytes)
}

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn open(
    dir: &Path,
    alloc: Vec<(Address, U256)>,
    predeploys: Vec<(Address, mosaic_stf::InitialAccount)>,
) -> Result<Node, NodeError> {
    Node::open(NodeConfig {
        chain: ChainConfig::default(),
        data_dir: dir.to_path_buf(),
        block_time: Duration::ZERO,
        fee_recipient: Address::repeat_byte(0xfe),
        pool: Default::default(),
        genesis_alloc: alloc,
        max_tx_size: 512 * 1024,
        allow_unprotected_txs: false,
        predeploys,
        genesis_accounts: Vec::new(),
    })
}

fn signed(
    key: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Vec<u8>,
    gas: u64,
) -> (TxEnvelope, Address) {
    let tx = TxEip1559 {
        chain_id: ChainConfig::default().chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to,
        value,
        input: input.into(),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    (tx.into_signed(sig).into(), key.address())
}

/// Seals the next block (one second after the head) and checks every transaction succeeded.
fn seal(node: &Node, msgs: &[L1Message], txs: Vec<(TxEnvelope, Address)>) -> Result<u64, NodeError> {
    let new = node
        .import_block(mosaic_stf::BlockParts {
            timestamp: node.head().timestamp + 1,
            beneficiary: Address::repeat_byte(0xfe),
            l1_messages: msgs,
            transactions: txs,
        })
        .map_err(|e| NodeError::Inconsistent(format!("{e:?}")))?;
    if let Some(i) = new.receipts.iter().position(|r| !r.status()) {
        return Err(NodeError::Inconsistent(format!("transaction {i} of block {} reverted", new.block.header.number)));
    }
    Ok(new.block.header.number)
}

/// Opens a node in `dir` (inside a tokio runtime) and seals block 1 with `transfers` ETH transfers from
/// distinct funded senders.
pub fn chain_with_transfers(dir: &Path, transfers: usize) -> Result<Node, NodeError> {
    chain_with_transfer_blocks(dir, 1, transfers)
}

/// Opens a node in `dir` (inside a tokio runtime) and seals blocks `1..=blocks`, each with `transfers`
/// ETH transfers from distinct funded senders.
pub fn chain_with_transfer_blocks(dir: &Path, blocks: u64, transfers: usize) -> Result<Node, NodeError> {
    let signers: Vec<PrivateKeySigner> = (0..transfers)
        .map(|i| PrivateKeySigner::from_bytes(&B256::with_last_byte(i as u8 + 1)).expect("key"))
        .collect();
    let node = open(dir, signers.iter().map(|s| (s.address(), eth(10))).collect(), vec![])?;
    for nonce in 0..blocks {
        let txs = signers
            .iter()
            .map(|s| signed(s, nonce, TxKind::Call(Address::repeat_byte(0xd0)), U256::from(12345), vec![], 21_000))
            .collect();
        seal(&node, &[], txs)?;
    }
    Ok(node)
}

/// What one transaction (or L1 message) of a [`Scenario`] batch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// A plain ETH transfer.
    EthTransfer,
    /// `transfer` on the Solidity ERC-20 (EVM).
    Erc20Evm,
    /// `transfer` on the Rust ERC-20 (Wasm).
    Erc20Wasm,
    /// A swap in the Solidity AMM whose two tokens are Wasm contracts (EVM → Wasm calls).
    SwapCrossVm,
    /// An ETH deposit from L1 (an L1 message, no transaction).
    Deposit,
    /// `withdrawETH` on the L2 bridge predeploy.
    Withdrawal,
}

impl Workload {
    /// Every workload, in a fixed order.
    pub const ALL: [Workload; 6] =
        [Self::EthTransfer, Self::Erc20Evm, Self::Erc20Wasm, Self::SwapCrossVm, Self::Deposit, Self::Withdrawal];
}

/// A MultiVM chain: one funded key, an EVM and a Wasm ERC-20, two more Wasm tokens with a Solidity AMM
/// over them (liquidity added), the L2 bridge predeploy. Each [`Scenario::batch`] seals one block of one
/// workload, to be proven as a batch.
pub struct Scenario {
    /// The node.
    pub node: Node,
    key: PrivateKeySigner,
    nonce: u64,
    deposits: u64,
    evm_token: Address,
    wasm_token: Address,
    swap_token: Address,
    amm: Address,
}

impl Scenario {
    /// Opens a node in `dir` (inside a tokio runtime) and deploys the contracts (a few setup blocks).
    /// Needs `scripts/build-wasm-contracts.sh` for the Wasm modules.
    pub fn new(dir: &Path) -> Result<Self, NodeError> {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).expect("key");
        let bridge = artifact(&repo().join("contracts/artifacts/L2Bridge.json"), "deployedBytecode")?;
        let node = open(
            dir,
            vec![(key.address(), eth(1_000_000))],
            vec![(L2_BRIDGE, mosaic_stf::InitialAccount { nonce: 1, code: bridge.into(), ..Default::default() })],
        )?;
        let mut s = Self {
            node,
            key,
            nonce: 0,
            deposits: 0,
            evm_token: Address::ZERO,
            wasm_token: Address::ZERO,
            swap_token: Address::ZERO,
            amm: Address::ZERO,
        };
        let token = |name: &str| (name.to_string(), name.to_string(), eth(1_000_000_000)).abi_encode_params();
        let fixture = |name: &str| artifact(&repo().join(format!("bin/mosaic/tests/fixtures/{name}.json")), "bytecode");
        let erc20_wasm = wasm("erc20")?;
        let deploys = vec![
            [fixture("Token")?, token("EVM")].concat(),
            [erc20_wasm.clone(), token("WSM")].concat(),
            [erc20_wasm.clone(), token("WSA")].concat(),
            [erc20_wasm, token("WSB")].concat(),
        ];
        let first = s.nonce;
        let txs = deploys.into_iter().map(|code| s.tx(TxKind::Create, U256::ZERO, code)).collect();
        seal(&s.node, &[], txs)?;
        let address = |i: u64| s.key.address().create(first + i);
        let (evm_token, wasm_token, token_a, token_b) = (address(0), address(1), address(2), address(3));
        let amm_args = (token_a, token_b, 30u16).abi_encode_params();
        let amm = s.key.address().create(s.nonce);
        let deploy_amm = s.tx(TxKind::Create, U256::ZERO, [fixture("ConstantProductAmm")?, amm_args].concat());
        seal(&s.node, &[], vec![deploy_amm])?;
        let liquidity = eth(1_000_000);
        let setup = vec![
            s.tx(TxKind::Call(token_a), U256::ZERO, approveCall { spender: amm, amount: U256::MAX }.abi_encode()),
            s.tx(TxKind::Call(token_b), U256::ZERO, approveCall { spender: amm, amount: U256::MAX }.abi_encode()),
            s.tx(
                TxKind::Call(amm),
                U256::ZERO,
                addLiquidityCall { amountA: liquidity, amountB: liquidity }.abi_encode(),
            ),
        ];
        seal(&s.node, &[], setup)?;
        (s.evm_token, s.wasm_token, s.swap_token, s.amm) = (evm_token, wasm_token, token_a, amm);
        Ok(s)
    }

    fn tx(&mut self, to: TxKind, value: U256, input: Vec<u8>) -> (TxEnvelope, Address) {
        self.nonce += 1;
        signed(&self.key, self.nonce - 1, to, value, input, 10_000_000)
    }

    /// Seals one block with `count` transactions (or L1 messages) of `workload`; returns its number.
    pub fn batch(&mut self, workload: Workload, count: usize) -> Result<u64, NodeError> {
        let recipient = Address::repeat_byte(0x42);
        let mut msgs = Vec::new();
        let mut txs = Vec::new();
        for _ in 0..count {
            let transfer = transferCall { to: recipient, amount: U256::from(1000) }.abi_encode();
            match workload {
                Workload::EthTransfer => txs.push(self.tx(TxKind::Call(recipient), U256::from(12345), vec![])),
                Workload::Erc20Evm => txs.push(self.tx(TxKind::Call(self.evm_token), U256::ZERO, transfer)),
                Workload::Erc20Wasm => txs.push(self.tx(TxKind::Call(self.wasm_token), U256::ZERO, transfer)),
                Workload::SwapCrossVm => {
                    let to = self.key.address();
                    let swap = swapCall { tokenIn: self.swap_token, amountIn: eth(1), minAmountOut: U256::ZERO, to };
                    txs.push(self.tx(TxKind::Call(self.amm), U256::ZERO, swap.abi_encode()))
                }
                Workload::Deposit => {
                    msgs.push(L1Message {
                        index: self.deposits,
                        token: Address::ZERO,
                        from: Address::repeat_byte(0x11),
                        to: recipient,
                        amount: eth(1),
                    });
                    self.deposits += 1;
                }
                Workload::Withdrawal => {
                    let call = withdrawETHCall { l1Recipient: Address::repeat_byte(0xab) }.abi_encode();
                    txs.push(self.tx(TxKind::Call(L2_BRIDGE), eth(1), call))
                }
            }
        }
        seal(&self.node, &msgs, txs)
    }
}

fn artifact(path: &Path, field: &str) -> Result<Vec<u8>, NodeError> {
    let bad = |why: String| NodeError::Inconsistent(format!("{}: {why}", path.display()));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).map_err(|e| bad(e.to_string()))?)
        .map_err(|e| bad(e.to_string()))?;
    let hex = json[field].as_str().ok_or_else(|| bad(format!("no {field}")))?;
    alloy_primitives::hex::decode(hex).map_err(|e| bad(e.to_string()))
}

fn wasm(name: &str) -> Result<Vec<u8>, NodeError> {
    let path = repo().join(format!("wasm/out/{name}.wasm"));
    std::fs::read(&path)
        .map_err(|e| NodeError::Inconsistent(format!("{}: {e}; run scripts/build-wasm-contracts.sh", path.display())))
}

//! Throwaway single-sequencer chains whose blocks the guests' tests and benchmarks prove: ETH transfers
//! from many senders ([`chain_with_transfer_blocks`]), and a MultiVM chain ([`Scenario`]) with an EVM
//! and a Wasm ERC-20, a Solidity AMM over two Wasm tokens, the L2 bridge predeploy, deposits and
//! withdrawals. Contracts come from the repository: the Solidity fixtures of `bin/mosaic/tests/fixtures`,
//! the Wasm modules `scripts/build-wasm-contracts.sh` writes to `wasm/out`, the `L2Bridge` artifact.
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
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

/// A contract that calls a precompile and folds the result into its storage, so that any difference
/// in a result changes the state root. Calldata: the precompile's address as a 32-byte word, then its
/// input. It STATICCALLs the address with its input and all its gas, and sets slot 0 to
/// `keccak256(slot0 ‖ keccak256(output) + success)`. Hand-assembled: an 11-byte constructor returning
/// 51 bytes of runtime:
/// `PUSH1 32 CALLDATASIZE SUB DUP1 PUSH1 32 PUSH1 0 CALLDATACOPY` (the input to memory 0),
/// `PUSH1 0 PUSH1 0 DUP3 PUSH1 0 PUSH1 0 CALLDATALOAD GAS STATICCALL`,
/// `RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY RETURNDATASIZE PUSH1 0 KECCAK256 ADD PUSH1 32 MSTORE`,
/// `PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 64 PUSH1 0 KECCAK256 PUSH1 0 SSTORE STOP`.
pub const PRECOMPILE_PROBE: [u8; 62] = alloy_primitives::hex!(
    "603380600b6000396000f3"
    "60203603806020600037600060008260006000355afa3d600060003e3d60002001602052600054600052604060002060005500"
);

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
    chain: ChainConfig,
    alloc: Vec<(Address, U256)>,
    predeploys: Vec<(Address, mosaic_stf::InitialAccount)>,
) -> Result<Node, NodeError> {
    Node::open(NodeConfig {
        chain,
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
        // Keys 1, 2, …: the low bytes of a 256-bit number, so a block may hold more than 255 senders.
        .map(|i| PrivateKeySigner::from_bytes(&B256::left_padding_from(&(i as u64 + 1).to_be_bytes())).expect("key"))
        .collect();
    let node = open(dir, ChainConfig::default(), signers.iter().map(|s| (s.address(), eth(10))).collect(), vec![])?;
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
    /// An ETH transfer forced through L1 (an L1 message the STF runs as a transaction).
    Forced,
    /// `withdrawETH` on the L2 bridge predeploy.
    Withdrawal,
    /// A transaction straight to a precompile with a typical input.
    Precompile(Precompile),
}

/// The precompile calls the cycle benchmark measures (every Osaka precompile; two inputs where the
/// cost depends on more than the input length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precompile {
    /// 0x01, a valid signature.
    Ecrecover,
    /// 0x02, 256 bytes.
    Sha256,
    /// 0x03, 256 bytes.
    Ripemd160,
    /// 0x04, 256 bytes.
    Identity,
    /// 0x05, 32-byte base, exponent and modulus.
    Modexp32,
    /// 0x05, 256-byte base, exponent and modulus (RSA-2048).
    Modexp256,
    /// 0x06, G1 + G1.
    Bn254Add,
    /// 0x07, G1 × a 256-bit scalar.
    Bn254Mul,
    /// 0x08, two pairs whose product is not 1 (the costlier `false`).
    Bn254Pairing,
    /// 0x08, two pairs whose product is 1 (`e(G, H)·e(−G, H)`).
    Bn254PairingHolds,
    /// 0x09, 12 rounds.
    Blake2f12,
    /// 0x09, 1,200 rounds.
    Blake2f1200,
    /// 0x0a, a valid proof (of the zero polynomial).
    PointEvaluation,
    /// 0x0b.
    Bls12G1Add,
    /// 0x0c, two pairs.
    Bls12G1Msm,
    /// 0x0c, 32 pairs (gas per pair falls with their number; cycles per pair do not as much).
    Bls12G1Msm32,
    /// 0x0d.
    Bls12G2Add,
    /// 0x0e, two pairs.
    Bls12G2Msm,
    /// 0x0e, 32 pairs.
    Bls12G2Msm32,
    /// 0x0f, two pairs whose product is not 1 (the costlier `false`).
    Bls12Pairing,
    /// 0x0f, two pairs whose product is 1 (`e(G, H)·e(−G, H)`).
    Bls12PairingHolds,
    /// 0x10.
    Bls12MapFpToG1,
    /// 0x11.
    Bls12MapFp2ToG2,
    /// 0x100 (RIP-7212), a full verification that fails.
    P256Verify,
}

impl Precompile {
    /// Every case, in address order.
    pub const ALL: [Precompile; 24] = [
        Self::Ecrecover,
        Self::Sha256,
        Self::Ripemd160,
        Self::Identity,
        Self::Modexp32,
        Self::Modexp256,
        Self::Bn254Add,
        Self::Bn254Mul,
        Self::Bn254Pairing,
        Self::Bn254PairingHolds,
        Self::Blake2f12,
        Self::Blake2f1200,
        Self::PointEvaluation,
        Self::Bls12G1Add,
        Self::Bls12G1Msm,
        Self::Bls12G1Msm32,
        Self::Bls12G2Add,
        Self::Bls12G2Msm,
        Self::Bls12G2Msm32,
        Self::Bls12Pairing,
        Self::Bls12PairingHolds,
        Self::Bls12MapFpToG1,
        Self::Bls12MapFp2ToG2,
        Self::P256Verify,
    ];

    /// The precompile's address and this case's input (`key` signs the ecrecover input).
    pub fn call(self, key: &PrivateKeySigner) -> (Address, Vec<u8>) {
        let word = |dec: &str| U256::from_str_radix(dec, 10).expect("decimal").to_be_bytes::<32>().to_vec();
        let hex = |h: &str| alloy_primitives::hex::decode(h).expect("hex");
        // BLS12-381 field elements are 64 bytes: 16 zero bytes, then the 48-byte value.
        let fp = |h: &str| [vec![0u8; 16], hex(h)].concat();
        let bn_g1 = [word("1"), word("2")].concat();
        let bn_g2 = [
            word("11559732032986387107991004021392285783925812861821192530917403151452391805634"),
            word("10857046999023057135944570762232829481370756359578518086990519993285655852781"),
            word("4082367875863433681332203403145435568316851327593401208105741076214120093531"),
            word("8495653923123431417604973247489272438418190587263600148770280649306958101930"),
        ]
        .concat();
        let bls_g1 = [
            fp("17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
            fp("08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"),
        ]
        .concat();
        let bls_g2 = [
            fp("024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"),
            fp("13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"),
            fp("0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"),
            fp("0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be"),
        ]
        .concat();
        let scalar = alloy_primitives::keccak256(b"scalar").to_vec();
        let blob = vec![0xabu8; 256];
        let addr = |n: u16| {
            let mut a = [0u8; 20];
            a[18..].copy_from_slice(&n.to_be_bytes());
            Address::from(a)
        };
        let modexp = |len: usize| {
            let mut modulus = vec![0xc3u8; len];
            modulus[len - 1] |= 1;
            [
                word(&len.to_string()),
                word(&len.to_string()),
                word(&len.to_string()),
                vec![0x5au8; len],
                vec![0xffu8; len],
                modulus,
            ]
            .concat()
        };
        let blake2f = |rounds: u32| {
            [rounds.to_be_bytes().to_vec(), vec![0x11u8; 64], vec![0x22u8; 128], vec![0x33u8; 16], vec![1u8]].concat()
        };
        match self {
            Self::Ecrecover => {
                let hash = alloy_primitives::keccak256(b"mosaic precompile benchmark");
                let sig = key.sign_hash_sync(&hash).expect("sign");
                let v = word(&(27 + u64::from(sig.v())).to_string());
                (
                    addr(1),
                    [hash.to_vec(), v, sig.r().to_be_bytes::<32>().to_vec(), sig.s().to_be_bytes::<32>().to_vec()]
                        .concat(),
                )
            }
            Self::Sha256 => (addr(2), blob),
            Self::Ripemd160 => (addr(3), blob),
            Self::Identity => (addr(4), blob),
            Self::Modexp32 => (addr(5), modexp(32)),
            Self::Modexp256 => (addr(5), modexp(256)),
            Self::Bn254Add => (addr(6), [bn_g1.clone(), bn_g1].concat()),
            Self::Bn254Mul => (addr(7), [bn_g1, scalar].concat()),
            Self::Bn254Pairing => (addr(8), [bn_g1.clone(), bn_g2.clone(), bn_g1, bn_g2].concat()),
            Self::Bn254PairingHolds => {
                let minus_g1 =
                    [word("1"), word("21888242871839275222246405745257275088696311157297823662689037894645226208581")]
                        .concat();
                (addr(8), [bn_g1.clone(), bn_g2.clone(), minus_g1, bn_g2].concat())
            }
            Self::Blake2f12 => (addr(9), blake2f(12)),
            Self::Blake2f1200 => (addr(9), blake2f(1200)),
            Self::PointEvaluation => {
                // The zero polynomial: commitment and proof are the point at infinity, p(z) = 0.
                let infinity = [vec![0xc0u8], vec![0u8; 47]].concat();
                let mut versioned = <sha2::Sha256 as sha2::Digest>::digest(&infinity);
                versioned[0] = 1;
                (addr(0x0a), [versioned.to_vec(), vec![0u8; 32], vec![0u8; 32], infinity.clone(), infinity].concat())
            }
            Self::Bls12G1Add => (addr(0x0b), [bls_g1.clone(), bls_g1].concat()),
            Self::Bls12G1Msm => (addr(0x0c), [bls_g1.clone(), scalar.clone(), bls_g1, scalar].concat()),
            Self::Bls12G1Msm32 => (addr(0x0c), [bls_g1, scalar].concat().repeat(32)),
            Self::Bls12G2Add => (addr(0x0d), [bls_g2.clone(), bls_g2].concat()),
            Self::Bls12G2Msm => (addr(0x0e), [bls_g2.clone(), scalar.clone(), bls_g2, scalar].concat()),
            Self::Bls12G2Msm32 => (addr(0x0e), [bls_g2, scalar].concat().repeat(32)),
            Self::Bls12Pairing => (addr(0x0f), [bls_g1.clone(), bls_g2.clone(), bls_g1, bls_g2].concat()),
            Self::Bls12PairingHolds => {
                let minus_g1 = [
                    fp("17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
                    fp("114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca"),
                ]
                .concat();
                (addr(0x0f), [bls_g1.clone(), bls_g2.clone(), minus_g1, bls_g2].concat())
            }
            Self::Bls12MapFpToG1 => (addr(0x10), fp(&"01".repeat(48))),
            Self::Bls12MapFp2ToG2 => (addr(0x11), [fp(&"01".repeat(48)), fp(&"02".repeat(48))].concat()),
            Self::P256Verify => {
                let g = hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
                (addr(0x100), [alloy_primitives::keccak256(b"p256").to_vec(), word("1"), word("1"), g].concat())
            }
        }
    }
}

impl Workload {
    /// Every workload, in a fixed order.
    pub const ALL: [Workload; 7] = [
        Self::EthTransfer,
        Self::Erc20Evm,
        Self::Erc20Wasm,
        Self::SwapCrossVm,
        Self::Deposit,
        Self::Forced,
        Self::Withdrawal,
    ];
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
    probe: Option<Address>,
}

impl Scenario {
    /// Opens a node in `dir` (inside a tokio runtime) and deploys the contracts (a few setup blocks).
    /// Needs `scripts/build-wasm-contracts.sh` for the Wasm modules.
    pub fn new(dir: &Path) -> Result<Self, NodeError> {
        Self::with_chain(dir, ChainConfig::default())
    }

    /// [`Scenario::new`] on a chain with other consensus parameters (the cycle benchmark lifts the
    /// block cycle budget to measure calls that no block of the default chain may hold). The chain id
    /// must stay the default's.
    pub fn with_chain(dir: &Path, chain: ChainConfig) -> Result<Self, NodeError> {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).expect("key");
        let bridge = artifact(&repo().join("contracts/artifacts/L2Bridge.json"), "deployedBytecode")?;
        let node = open(
            dir,
            chain,
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
            probe: None,
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
        self.tx_with_gas(to, value, input, 10_000_000)
    }

    fn tx_with_gas(&mut self, to: TxKind, value: U256, input: Vec<u8>, gas: u64) -> (TxEnvelope, Address) {
        self.nonce += 1;
        signed(&self.key, self.nonce - 1, to, value, input, gas)
    }

    /// Seals one block that sends each `(precompile, input)` through [`PRECOMPILE_PROBE`] (deployed in a
    /// block of its own on first use); returns the block's number and the probe's address, whose slot 0
    /// then folds every call's success and output.
    pub fn probe(&mut self, calls: &[(Address, Vec<u8>)]) -> Result<(u64, Address), NodeError> {
        self.probe_with_gas(calls, 10_000_000)
    }

    /// [`Scenario::probe`] with `gas` for each call's transaction: a call the precompile refuses burns
    /// it all, so many refusals fit a block only with a small `gas`.
    pub fn probe_with_gas(&mut self, calls: &[(Address, Vec<u8>)], gas: u64) -> Result<(u64, Address), NodeError> {
        let probe = match self.probe {
            Some(probe) => probe,
            None => {
                let probe = self.key.address().create(self.nonce);
                let deploy = self.tx(TxKind::Create, U256::ZERO, PRECOMPILE_PROBE.to_vec());
                seal(&self.node, &[], vec![deploy])?;
                *self.probe.insert(probe)
            }
        };
        let txs = calls
            .iter()
            .map(|(to, input)| {
                let mut word = [0u8; 32];
                word[12..].copy_from_slice(to.as_slice());
                self.tx_with_gas(TxKind::Call(probe), U256::ZERO, [&word[..], input].concat(), gas)
            })
            .collect();
        Ok((seal(&self.node, &[], txs)?, probe))
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
                    msgs.push(L1Message::deposit(
                        self.deposits,
                        Address::ZERO,
                        Address::repeat_byte(0x11),
                        recipient,
                        eth(1),
                    ));
                    self.deposits += 1;
                }
                Workload::Forced => {
                    // Within MAX_FORCED_TX_GAS, or it would be consumed without running.
                    self.nonce += 1;
                    let to = TxKind::Call(recipient);
                    let (tx, _) = signed(&self.key, self.nonce - 1, to, U256::from(12345), vec![], 21_000);
                    msgs.push(L1Message::forced(self.deposits, Address::repeat_byte(0x11), tx.encoded_2718().into()));
                    self.deposits += 1;
                }
                Workload::Withdrawal => {
                    let call = withdrawETHCall { l1Recipient: Address::repeat_byte(0xab) }.abi_encode();
                    txs.push(self.tx(TxKind::Call(L2_BRIDGE), eth(1), call))
                }
                Workload::Precompile(p) => {
                    let (to, input) = p.call(&self.key);
                    txs.push(self.tx(TxKind::Call(to), U256::ZERO, input))
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

#[cfg(test)]
mod tests {
    use mosaic_node::ChainReader as _;

    #[test]
    fn a_block_of_transfers_may_have_more_than_255_senders() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _enter = rt.enter();
        let dir = tempfile::tempdir().unwrap();
        let node = super::chain_with_transfers(dir.path(), 300).unwrap();
        assert_eq!(node.block(1).unwrap().unwrap().transactions.len(), 300);
    }
}

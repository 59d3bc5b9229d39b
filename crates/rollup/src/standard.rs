//! The standard contracts developers expect on a fresh chain, at their canonical addresses, installed
//! at genesis (as OP Stack chains do) so that no keyless deployment transaction is needed.
//!
//! Two kinds of install:
//! - **Runtime code** for the contracts whose L1 deployment was a keyless or per-chain transaction: the
//!   CREATE2 deployer (Arachnid's proxy; `forge create --salt` and `forge script` deploy through it), the
//!   Safe singleton factory (the same 69-byte proxy at Safe's address), Multicall3 (the runtime in viem's
//!   creation code), Permit2 (mainnet's runtime with the chain id and EIP-712 domain separator of this
//!   chain written into its two immutables, as OP Stack does) and CreateX.
//! - **Creation code run at genesis** for the contracts deployed through those factories: Safe v1.4.1
//!   (Safe, SafeL2, the proxy factory and its libraries and handler) through the Safe singleton factory
//!   with salt 0, and the ERC-4337 EntryPoint v0.7 through the CREATE2 deployer. Their addresses are
//!   CREATE2 of the creation code, so landing at the canonical address proves the code is the canonical
//!   one; running the constructor gives the exact L1 state (EntryPoint's SenderCreator, the Safe
//!   singleton's locked threshold).
//!
//! The files under `predeploys/` hold the code; `scripts/fetch-predeploys.sh` regenerates them from
//! pinned npm packages and the tests check each against its canonical address or published code hash.
use alloy_primitives::{address, b256, keccak256, Address, Bytes, B256, U256};
use mosaic_stf::InitialAccount;

/// Arachnid's deterministic deployment proxy: `CREATE2(salt = first 32 bytes of calldata, initcode =
/// the rest)`, returns the new address.
pub const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
/// Safe's singleton factory: the same proxy, at the address Safe's tooling deploys through.
pub const SAFE_SINGLETON_FACTORY: Address = address!("914d7Fec6aaC8cd542e72Bca78B30650d45643d7");
/// Multicall3.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");
/// Uniswap's Permit2.
pub const PERMIT2: Address = address!("000000000022D473030F116dDEE9F6B43aC78BA3");
/// CreateX, the CREATE/CREATE2/CREATE3 factory.
pub const CREATEX: Address = address!("ba5Ed099633D3B313e4D5F7bdc1305d3c28ba5Ed");
/// The ERC-4337 EntryPoint v0.7.
pub const ENTRY_POINT_V07: Address = address!("0000000071727De22E5E9d8BAf0edAc6f37da032");
/// The SenderCreator EntryPoint v0.7's constructor creates (its first CREATE).
pub const SENDER_CREATOR_V07: Address = address!("EFC2c1444eBCC4Db75e7613d20C6a62fF67A167C");

/// Safe v1.4.1's canonical addresses (safe-deployments' `canonical`).
pub mod safe {
    use alloy_primitives::{address, Address};
    /// The Safe singleton (L1 flavour: no events per transaction).
    pub const SAFE: Address = address!("41675C099F32341bf84BFc5382aF534df5C7461a");
    /// The Safe singleton that emits events for indexers (what L2s use).
    pub const SAFE_L2: Address = address!("29fcB43b46531BcA003ddC8FCB67FFE91900C762");
    /// Creates Safe proxies.
    pub const PROXY_FACTORY: Address = address!("4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67");
    /// Batches calls and delegatecalls.
    pub const MULTI_SEND: Address = address!("38869bf66a61cF6bDB996A6aE40D5853Fd43B526");
    /// Batches calls only.
    pub const MULTI_SEND_CALL_ONLY: Address = address!("9641d764fc13c8B624c04430C7356C1C7C8102e2");
    /// The default fallback handler (ERC-1271, token callbacks).
    pub const COMPATIBILITY_FALLBACK_HANDLER: Address = address!("fd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99");
    /// Signs messages on chain.
    pub const SIGN_MESSAGE_LIB: Address = address!("d53cd0aB83D845Ac265BE939c57F53AD838012c9");
    /// Deploys contracts from a Safe.
    pub const CREATE_CALL: Address = address!("9b35Af71d77eaf8d7e40252370304687390A1A52");
    /// Simulates transactions (gas estimation in Safe's tooling).
    pub const SIMULATE_TX_ACCESSOR: Address = address!("3d4BA2E0884aa488718476ca2FB8Efc291A46199");
}

/// EntryPoint v0.7's salt for the CREATE2 deployer.
const ENTRY_POINT_V07_SALT: B256 = b256!("90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3");

/// A contract created at genesis by calling `factory` with `salt ‖ initcode`, as on L1.
struct Deployment {
    name: &'static str,
    address: Address,
    factory: Address,
    salt: B256,
    initcode: &'static str,
}

macro_rules! safe_deployment {
    ($name:literal, $address:expr, $file:literal) => {
        Deployment {
            name: $name,
            address: $address,
            factory: SAFE_SINGLETON_FACTORY,
            salt: B256::ZERO,
            initcode: include_str!(concat!("../predeploys/safe-1.4.1/", $file, ".initcode.hex")),
        }
    };
}

const DEPLOYMENTS: [Deployment; 10] = [
    safe_deployment!("Safe", safe::SAFE, "safe"),
    safe_deployment!("SafeL2", safe::SAFE_L2, "safe-l2"),
    safe_deployment!("SafeProxyFactory", safe::PROXY_FACTORY, "safe-proxy-factory"),
    safe_deployment!("MultiSend", safe::MULTI_SEND, "multi-send"),
    safe_deployment!("MultiSendCallOnly", safe::MULTI_SEND_CALL_ONLY, "multi-send-call-only"),
    safe_deployment!(
        "CompatibilityFallbackHandler",
        safe::COMPATIBILITY_FALLBACK_HANDLER,
        "compatibility-fallback-handler"
    ),
    safe_deployment!("SignMessageLib", safe::SIGN_MESSAGE_LIB, "sign-message-lib"),
    safe_deployment!("CreateCall", safe::CREATE_CALL, "create-call"),
    safe_deployment!("SimulateTxAccessor", safe::SIMULATE_TX_ACCESSOR, "simulate-tx-accessor"),
    Deployment {
        name: "EntryPoint v0.7",
        address: ENTRY_POINT_V07,
        factory: CREATE2_DEPLOYER,
        salt: ENTRY_POINT_V07_SALT,
        initcode: include_str!("../predeploys/entrypoint-0.7.0.initcode.hex"),
    },
];

/// Where Permit2's runtime holds its two immutables: `_CACHED_CHAIN_ID` and `_CACHED_DOMAIN_SEPARATOR`.
const PERMIT2_CHAIN_ID_AT: usize = 6945;
const PERMIT2_DOMAIN_SEPARATOR_AT: usize = 6983;

fn hex_file(text: &str) -> Bytes {
    text.trim().parse().expect("predeploy files hold 0x-prefixed hex")
}

/// Runtime code of the CREATE2 deployer (and of the Safe singleton factory).
pub fn create2_deployer_code() -> Bytes {
    hex_file(include_str!("../predeploys/create2-deployer.hex"))
}

/// Runtime code of Multicall3.
pub fn multicall3_code() -> Bytes {
    hex_file(include_str!("../predeploys/multicall3.hex"))
}

/// Runtime code of CreateX.
pub fn createx_code() -> Bytes {
    hex_file(include_str!("../predeploys/createx.hex"))
}

/// Permit2's EIP-712 domain separator on `chain_id`.
pub fn permit2_domain_separator(chain_id: u64) -> B256 {
    let type_hash = keccak256("EIP712Domain(string name,uint256 chainId,address verifyingContract)");
    let mut encoded = Vec::with_capacity(128);
    encoded.extend_from_slice(type_hash.as_slice());
    encoded.extend_from_slice(keccak256("Permit2").as_slice());
    encoded.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    encoded.extend_from_slice(PERMIT2.into_word().as_slice());
    keccak256(encoded)
}

/// Permit2's runtime code on `chain_id`: mainnet's, with its chain id and domain separator immutables
/// set to what its constructor would have written on this chain.
pub fn permit2_code(chain_id: u64) -> Bytes {
    let mut code = hex_file(include_str!("../predeploys/permit2-mainnet.hex")).to_vec();
    code[PERMIT2_CHAIN_ID_AT..PERMIT2_CHAIN_ID_AT + 32].copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    code[PERMIT2_DOMAIN_SEPARATOR_AT..PERMIT2_DOMAIN_SEPARATOR_AT + 32]
        .copy_from_slice(permit2_domain_separator(chain_id).as_slice());
    code.into()
}

/// Every standard predeploy on `chain_id`: the runtime installs, then the state the creations leave.
pub fn standard_predeploys(chain_id: u64) -> Vec<(Address, InitialAccount)> {
    let code = |code: Bytes| InitialAccount { nonce: 1, code, ..Default::default() };
    let installed = [
        (CREATE2_DEPLOYER, code(create2_deployer_code())),
        (SAFE_SINGLETON_FACTORY, code(create2_deployer_code())),
        (MULTICALL3, code(multicall3_code())),
        (PERMIT2, code(permit2_code(chain_id))),
        (CREATEX, code(createx_code())),
    ];
    let calls: Vec<(Address, Bytes)> = DEPLOYMENTS
        .iter()
        .map(|d| (d.factory, [d.salt.as_slice(), hex_file(d.initcode).as_ref()].concat().into()))
        .collect();
    // The inputs are the committed files, so a failure here is a bad file, which the tests catch.
    let deployed =
        mosaic_stf::run_deployments(chain_id, &installed, &calls).expect("the standard creation codes deploy");
    for (d, output) in DEPLOYMENTS.iter().zip(&deployed.outputs) {
        assert_eq!(output.as_ref(), d.address.as_slice(), "{} deploys at its canonical address", d.name);
    }
    deployed.accounts
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    fn account(all: &[(Address, InitialAccount)], address: Address) -> &InitialAccount {
        &all.iter().find(|(a, _)| *a == address).unwrap_or_else(|| panic!("no account at {address}")).1
    }

    #[test]
    fn the_runtime_files_are_the_canonical_codes() {
        assert_eq!(
            keccak256(create2_deployer_code()),
            keccak256(hex!(
                "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
            ))
        );
        assert_eq!(multicall3_code().len(), 0x15b9);
        // CreateX's published code hash (its README).
        assert_eq!(
            keccak256(createx_code()),
            b256!("bd8a7ea8cfca7b4e5f5041d7d4b17bc317c5ce42cfbc42066a00cf26b43eb53f")
        );
    }

    #[test]
    fn permit2_gets_this_chains_immutables_where_mainnet_has_its_own() {
        // The file is mainnet's runtime: chain id 1 and mainnet's domain separator sit at the offsets.
        let mainnet = hex_file(include_str!("../predeploys/permit2-mainnet.hex"));
        assert_eq!(permit2_code(1), mainnet);
        assert_eq!(
            permit2_domain_separator(1),
            b256!("866a5aba21966af95d6c7ab78eb2b2fc913915c28be3b9aa07cc04ff903e3f28"),
            "mainnet Permit2's DOMAIN_SEPARATOR()"
        );
        let ours = permit2_code(4242);
        assert_eq!(ours.len(), mainnet.len());
        assert_eq!(&ours[PERMIT2_CHAIN_ID_AT..PERMIT2_CHAIN_ID_AT + 32], &U256::from(4242).to_be_bytes::<32>());
        let differing = ours.iter().zip(mainnet.iter()).filter(|(a, b)| a != b).count();
        assert!(differing <= 64, "only the two immutables differ ({differing} bytes)");
    }

    #[test]
    fn every_creation_lands_at_its_canonical_address_with_the_published_code() {
        let all = standard_predeploys(4242);
        // safe-deployments' published code hashes of the v1.4.1 runtime.
        for (address, hash) in [
            (safe::SAFE, b256!("1fe2df852ba3299d6534ef416eefa406e56ced995bca886ab7a553e6d0c5e1c4")),
            (safe::SAFE_L2, b256!("b1f926978a0f44a2c0ec8fe822418ae969bd8c3f18d61e5103100339894f81ff")),
            (safe::PROXY_FACTORY, b256!("50c3cdc4074750a7a974204a716c999edd37482f907608d960b2b025ee0b3317")),
            (safe::MULTI_SEND, b256!("0e4f7fc66550a322d1e7688e181b75e217e662a4f3f4d6a29b22bc61217c4b77")),
            (safe::MULTI_SEND_CALL_ONLY, b256!("ecd5bd14a08c5d2122379900b2f272bdf107a7e92423c10dd5fe3254386c9939")),
            (
                safe::COMPATIBILITY_FALLBACK_HANDLER,
                b256!("7c6007a5d711cea8dfd5d91f5940ec29c7f200fe511eb1fc1397b367af3c42f9"),
            ),
            (safe::SIGN_MESSAGE_LIB, b256!("525c754a46b79e05543a59bb61e8de3c9eee0d955a59352409cbe67ea1077528")),
            (safe::CREATE_CALL, b256!("2b3060c55fcb8275653e99ad511a71f67ba76934ed66a7d74d6e68b52afff889")),
            (safe::SIMULATE_TX_ACCESSOR, b256!("91f82615581fc73b190b83d72e883608b25e392f72322035df1b13d51766cf8d")),
        ] {
            assert_eq!(keccak256(&account(&all, address).code), hash, "code of {address}");
        }
        // The Safe singleton's constructor locks it (threshold = 1 in slot 4), as on L1.
        assert_eq!(account(&all, safe::SAFE).storage, vec![(U256::from(4), U256::from(1))]);
        // EntryPoint's constructor created its SenderCreator; EntryPoint went on to nonce 2.
        assert_eq!(ENTRY_POINT_V07.create(1), SENDER_CREATOR_V07);
        // The runtimes OP Stack preinstalls (copies of L1's deployed code).
        assert_eq!(
            keccak256(&account(&all, ENTRY_POINT_V07).code),
            b256!("8db5ff695839d655407cc8490bb7a5d82337a86a6b39c3f0258aa6c3b582fc58")
        );
        assert_eq!(
            keccak256(&account(&all, SENDER_CREATOR_V07).code),
            b256!("283c9d14378f5f4c4e24045b87d621d48443fa5b4af7dd7180a599b3756a7689")
        );
        assert_eq!(account(&all, ENTRY_POINT_V07).nonce, 2);
        for address in [CREATE2_DEPLOYER, SAFE_SINGLETON_FACTORY, MULTICALL3, PERMIT2, CREATEX] {
            assert!(!account(&all, address).code.is_empty());
        }
        assert_eq!(account(&all, PERMIT2).code, permit2_code(4242));
        // Nothing else: 5 runtime installs, 10 creations and the SenderCreator.
        assert_eq!(all.len(), 16, "{:?}", all.iter().map(|(a, _)| *a).collect::<Vec<_>>());
    }
}

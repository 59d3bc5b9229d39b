//! The standard contracts developers expect on a fresh chain, at their canonical addresses with their
//! canonical runtime code, installed at genesis (as OP Stack chains do) so that no keyless deployment
//! transaction is needed.
//!
//! - The deterministic CREATE2 deployer (Arachnid's proxy; `forge create --salt` and `forge script`
//!   deploy through it). Its 69-byte runtime is also what anvil installs at genesis.
//! - Multicall3 (viem's and ethers' `multicall`). The runtime is the one embedded in the creation code
//!   viem ships (`multicall3Bytecode`, viem 2.57.20): the creation code's constructor copies it verbatim.
//!
//! The files under `predeploys/` hold the runtime code; tests check them against anvil's genesis, the
//! keyless deployment transaction and viem's creation code.
use alloy_primitives::{address, Address, Bytes};

/// Arachnid's deterministic deployment proxy: `CREATE2(salt = first 32 bytes of calldata, initcode =
/// the rest)`, returns the new address.
pub const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
/// Multicall3.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");

fn hex_file(text: &str) -> Bytes {
    text.trim().parse().expect("predeploy files hold 0x-prefixed hex")
}

/// Runtime code of the CREATE2 deployer.
pub fn create2_deployer_code() -> Bytes {
    hex_file(include_str!("../predeploys/create2-deployer.hex"))
}

/// Runtime code of Multicall3.
pub fn multicall3_code() -> Bytes {
    hex_file(include_str!("../predeploys/multicall3.hex"))
}

/// Every standard predeploy, `(address, runtime code)`.
pub fn standard_predeploys() -> Vec<(Address, Bytes)> {
    vec![(CREATE2_DEPLOYER, create2_deployer_code()), (MULTICALL3, multicall3_code())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_parse_into_the_known_sizes() {
        assert_eq!(create2_deployer_code().len(), 69);
        assert_eq!(multicall3_code().len(), 0x15b9);
        assert_eq!(
            alloy_primitives::keccak256(create2_deployer_code()),
            alloy_primitives::keccak256(alloy_primitives::hex!(
                "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
            ))
        );
    }
}

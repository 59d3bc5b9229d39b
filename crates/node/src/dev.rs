//! The well-known development accounts (the `test test … junk` mnemonic), funded at genesis like
//! anvil's, so Foundry and Hardhat habits carry over.
use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};

/// How many dev accounts a devnet funds and unlocks unless told otherwise.
pub const DEFAULT_DEV_ACCOUNTS: u32 = 10;

/// The mnemonic anvil and Hardhat use.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Balance of each dev account at genesis: 10,000 ETH.
pub fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// The first `n` dev signers (derivation path m/44'/60'/0'/0/i).
pub fn dev_signers(n: u32) -> Vec<PrivateKeySigner> {
    (0..n)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)
                .expect("valid derivation index")
                .build()
                .expect("the dev mnemonic is valid")
        })
        .collect()
}

/// `(address, private key)` of the first `n` dev accounts.
pub fn dev_accounts(n: u32) -> Vec<(Address, B256)> {
    dev_signers(n).iter().map(|s| (s.address(), s.to_bytes())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_anvil_account_zero() {
        let acc = super::dev_accounts(1);
        assert_eq!(acc[0].0.to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(acc[0].1.to_string(), "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    }
}

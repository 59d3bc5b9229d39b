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

/// An EIP-1559 transfer of `value` wei from `signer` to `to`, signed for `chain_id` (21,000 gas,
/// 10 gwei fee cap, 0.001 gwei tip): the transaction tests and dev tools send most.
pub fn signed_transfer(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
) -> alloy_consensus::TxEnvelope {
    use alloy_consensus::SignableTransaction;
    use alloy_signer::SignerSync;
    let tx = alloy_consensus::TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: alloy_primitives::TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Default::default(),
    };
    // A local key over a 32-byte hash does not fail.
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("signing with a local key");
    tx.into_signed(signature).into()
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

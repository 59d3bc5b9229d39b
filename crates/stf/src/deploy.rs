//! Contracts created at genesis by running their canonical deployments: calls into a factory that is
//! already in the state (the CREATE2 deployer, the Safe singleton factory), as they ran on L1. Running
//! the creation code, rather than copying a runtime, keeps what constructors write (immutables holding
//! `address(this)`, contracts created by the constructor, initial storage) exactly as on L1.
use crate::InitialAccount;
use alloc::{format, string::String, vec::Vec};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use revm::{
    context::{Context, TxEnv},
    context_interface::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    state::{AccountInfo, Bytecode},
    ExecuteCommitEvm, MainBuilder, MainContext,
};

/// Sends the genesis deployments; it pays no gas and is left out of the result.
const DEPLOYER: Address = Address::new([0xde; 20]);
/// Under the EIP-7825 cap (2^24) and far above what any standard contract's creation costs.
const DEPLOY_GAS: u64 = 16_000_000;

/// A genesis deployment did not run as it did on L1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("genesis deployment {index} (call into {factory}): {reason}")]
pub struct DeployError {
    /// Position in the list of calls.
    pub index: usize,
    /// Factory called.
    pub factory: Address,
    /// What went wrong.
    pub reason: String,
}

/// What [`run_deployments`] leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// Every account that has code, a nonce, a balance or storage, by address (the installed ones
    /// included, with their nonces bumped by the CREATE2s they ran).
    pub accounts: Vec<(Address, InitialAccount)>,
    /// Each call's return data (a CREATE2 factory's: the new address).
    pub outputs: Vec<Bytes>,
}

/// The state after calling each `(factory, input)` in turn on `chain_id`, starting from `installed`.
/// Each call must succeed.
pub fn run_deployments(
    chain_id: u64,
    installed: &[(Address, InitialAccount)],
    calls: &[(Address, Bytes)],
) -> Result<Deployed, DeployError> {
    let mut db = CacheDB::new(EmptyDB::default());
    for (address, account) in installed {
        let code = Bytecode::new_raw(account.code.clone());
        db.insert_account_info(*address, AccountInfo::new(account.balance, account.nonce, code.hash_slow(), code));
        for (slot, value) in &account.storage {
            // CacheDB's storage insert only fails for an account it does not hold; it was just inserted.
            let _ = db.insert_account_storage(*address, *slot, *value);
        }
    }
    let mut evm = Context::mainnet().with_db(db).modify_cfg_chained(|cfg| cfg.chain_id = chain_id).build_mainnet();
    let mut outputs = Vec::with_capacity(calls.len());
    for (index, (factory, input)) in calls.iter().enumerate() {
        let fail = |reason: String| DeployError { index, factory: *factory, reason };
        let tx = TxEnv::builder()
            .caller(DEPLOYER)
            .kind(TxKind::Call(*factory))
            .data(input.clone())
            .gas_limit(DEPLOY_GAS)
            .gas_price(0)
            .nonce(index as u64)
            .chain_id(Some(chain_id))
            .build()
            .map_err(|e| fail(format!("{e:?}")))?;
        match evm.transact_commit(tx).map_err(|e| fail(format!("{e}")))? {
            ExecutionResult::Success { output, .. } => outputs.push(output.into_data()),
            other => return Err(fail(format!("{other:?}"))),
        }
    }
    let cache = &evm.ctx.journaled_state.database.cache;
    let mut accounts: Vec<(Address, InitialAccount)> = cache
        .accounts
        .iter()
        .filter(|(address, _)| **address != DEPLOYER)
        .filter_map(|(address, account)| {
            let info = &account.info;
            let code = if info.code_hash == revm::primitives::KECCAK_EMPTY || info.code_hash == B256::ZERO {
                Bytes::new()
            } else {
                cache.contracts.get(&info.code_hash).map(|c| c.original_bytes()).unwrap_or_default()
            };
            let mut storage: Vec<(U256, U256)> =
                account.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)).collect();
            storage.sort();
            let keep = !code.is_empty() || info.nonce != 0 || !info.balance.is_zero() || !storage.is_empty();
            keep.then(|| (*address, InitialAccount { balance: info.balance, nonce: info.nonce, code, storage }))
        })
        .collect();
    accounts.sort_by_key(|(address, _)| *address);
    Ok(Deployed { accounts, outputs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, hex, keccak256};

    /// Arachnid's CREATE2 deployer runtime: salt = first 32 bytes of calldata, initcode = the rest.
    const CREATE2_DEPLOYER_CODE: [u8; 69] = hex!(
        "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
    );

    #[test]
    fn a_create2_deployment_lands_where_create2_says_with_its_constructor_storage() {
        let factory = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
        let installed =
            [(factory, InitialAccount { nonce: 1, code: CREATE2_DEPLOYER_CODE.into(), ..Default::default() })];
        // Constructor: SSTORE(0, CHAINID); runtime: a single STOP.
        let initcode = hex!("466000556001601060003960016000f300");
        let initcode = Bytes::from(initcode.to_vec());
        let salt = B256::repeat_byte(7);
        let input: Bytes = [salt.as_slice(), &initcode].concat().into();
        let Deployed { accounts, outputs } = run_deployments(4242, &installed, &[(factory, input)]).unwrap();
        let expected = factory.create2(salt, keccak256(&initcode));
        assert_eq!(outputs[0].as_ref(), expected.as_slice());
        let created = &accounts.iter().find(|(a, _)| *a == expected).unwrap().1;
        assert_eq!(created.code.as_ref(), &[0x00]);
        assert_eq!(created.nonce, 1);
        assert_eq!(created.storage, vec![(U256::ZERO, U256::from(4242))]);
        let f = &accounts.iter().find(|(a, _)| *a == factory).unwrap().1;
        assert_eq!(f.nonce, 2, "CREATE2 bumps the factory's nonce");
        assert!(accounts.iter().all(|(a, _)| *a != DEPLOYER));
    }

    #[test]
    fn a_reverting_deployment_is_an_error() {
        let factory = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
        let installed =
            [(factory, InitialAccount { nonce: 1, code: CREATE2_DEPLOYER_CODE.into(), ..Default::default() })];
        // Initcode that reverts: the deployer reverts in turn.
        let input: Bytes = [B256::ZERO.as_slice(), &hex!("60006000fd")].concat().into();
        let err = run_deployments(1, &installed, &[(factory, input)]).unwrap_err();
        assert_eq!(err.index, 0);
    }
}

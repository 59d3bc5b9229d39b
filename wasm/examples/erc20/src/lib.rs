//! An ERC-20 token as a Mosaic Wasm contract, ABI-compatible with a Solidity ERC-20 (same selectors,
//! return encoding, events, and storage layout for the balance, allowance and supply slots).
//!
//! Storage layout (Solidity-compatible):
//! - slot 0: `mapping(address => uint256) balances`
//! - slot 1: `mapping(address => mapping(address => uint256)) allowances`
//! - slot 2: `uint256 totalSupply`
//! - slot 3: `address owner` (the deployer; only it may `mint`)
//! - slot 4: `string name`, slot 5: `string symbol` (Solidity's `string` storage layout)
//!
//! Constructor (`deploy`) arguments: `abi.encode(string name, string symbol, uint256 initialSupply)`;
//! mints `initialSupply` to the deployer. Like Solidity, calls with value revert (nothing is
//! payable) and malformed arguments revert with empty data; an unknown selector reverts with
//! `UnknownSelector(bytes4)`.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use mosaic_sdk::alloy_sol_types::abi::{
    self,
    token::{PackedSeqToken, WordToken},
};
use mosaic_sdk::storage::{self, Mapping};
use mosaic_sdk::{caller, emit, entry, sol, Address, CallResult, Revert, SolCall, U256};

sol! {
    function name() external view returns (string);
    function symbol() external view returns (string);
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function mint(address to, uint256 amount) external;
    function owner() external view returns (address);

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(uint256 available, uint256 required);
    error InsufficientAllowance(uint256 available, uint256 required);
    error NotOwner();
    error UnknownSelector(bytes4 selector);
}

const BALANCES: Mapping = Mapping::new(U256::ZERO);
const ALLOWANCES: Mapping = Mapping::new(U256::from_limbs([1, 0, 0, 0]));
const TOTAL_SUPPLY: u64 = 2;
const OWNER: u64 = 3;
const NAME: U256 = U256::from_limbs([4, 0, 0, 0]);
const SYMBOL: U256 = U256::from_limbs([5, 0, 0, 0]);

/// Decodes a call's arguments (after the selector); malformed input reverts with empty data.
fn args<C: SolCall>(data: &[u8]) -> Result<C, Vec<u8>> {
    C::abi_decode_raw(data).map_err(|_| Vec::new())
}

/// ABI encoding of a single `string` return value.
fn string_return(slot: U256) -> Vec<u8> {
    abi::encode(&PackedSeqToken(&storage::load_bytes(slot)))
}

fn handle(input: &[u8]) -> CallResult {
    if !mosaic_sdk::value().is_zero() {
        return Err(Vec::new());
    }
    let mut selector = [0u8; 4];
    let n = input.len().min(4);
    selector[..n].copy_from_slice(&input[..n]);
    let data = &input[n..];
    match selector {
        nameCall::SELECTOR => Ok(string_return(NAME)),
        symbolCall::SELECTOR => Ok(string_return(SYMBOL)),
        decimalsCall::SELECTOR => Ok(decimalsCall::abi_encode_returns(&18)),
        totalSupplyCall::SELECTOR => Ok(totalSupplyCall::abi_encode_returns(&storage::load(TOTAL_SUPPLY))),
        balanceOfCall::SELECTOR => {
            let c: balanceOfCall = args(data)?;
            Ok(balanceOfCall::abi_encode_returns(&BALANCES.get(c.account)))
        }
        allowanceCall::SELECTOR => {
            let c: allowanceCall = args(data)?;
            Ok(allowanceCall::abi_encode_returns(&ALLOWANCES.nested(c.owner).get(c.spender)))
        }
        transferCall::SELECTOR => {
            let c: transferCall = args(data)?;
            move_tokens(caller(), c.to, c.amount)?;
            Ok(transferCall::abi_encode_returns(&true))
        }
        approveCall::SELECTOR => {
            let c: approveCall = args(data)?;
            let owner = caller();
            ALLOWANCES.nested(owner).set(c.spender, c.amount);
            emit(&Approval { owner, spender: c.spender, value: c.amount });
            Ok(approveCall::abi_encode_returns(&true))
        }
        transferFromCall::SELECTOR => {
            let c: transferFromCall = args(data)?;
            spend_allowance(c.from, caller(), c.amount)?;
            move_tokens(c.from, c.to, c.amount)?;
            Ok(transferFromCall::abi_encode_returns(&true))
        }
        mintCall::SELECTOR => {
            let c: mintCall = args(data)?;
            if caller() != storage::load_address(OWNER) {
                return Err(Revert::error(&NotOwner {}));
            }
            mint(c.to, c.amount)?;
            Ok(Vec::new())
        }
        ownerCall::SELECTOR => Ok(ownerCall::abi_encode_returns(&storage::load_address(OWNER))),
        _ => Err(Revert::error(&UnknownSelector { selector: selector.into() })),
    }
}

/// Constructor: `(string name, string symbol, uint256 initialSupply)`.
fn deploy(input: &[u8]) -> CallResult {
    // Decoded as raw tokens: the strings are stored as given (Solidity does not check UTF-8 either).
    let (name, symbol, supply): (PackedSeqToken<'_>, PackedSeqToken<'_>, WordToken) =
        abi::decode_sequence(input).map_err(|_| Vec::new())?;
    let owner = caller();
    storage::store_address(OWNER, owner);
    storage::store_bytes(NAME, name.0);
    storage::store_bytes(SYMBOL, symbol.0);
    mint(owner, U256::from_be_bytes(supply.0 .0))?;
    Ok(Vec::new())
}

fn move_tokens(from: Address, to: Address, amount: U256) -> Result<(), Vec<u8>> {
    let available = BALANCES.get(from);
    if available < amount {
        return Err(Revert::error(&InsufficientBalance { available, required: amount }));
    }
    BALANCES.set(from, available - amount);
    // Read after the write so that a transfer to oneself is a no-op. Cannot overflow: the sum of
    // all balances is the total supply.
    BALANCES.set(to, BALANCES.get(to).wrapping_add(amount));
    emit(&Transfer { from, to, value: amount });
    Ok(())
}

fn spend_allowance(owner: Address, spender: Address, amount: U256) -> Result<(), Vec<u8>> {
    let slot = ALLOWANCES.nested(owner).slot(spender);
    let available = storage::load(slot);
    // An allowance of type(uint256).max is infinite, as in OpenZeppelin's ERC-20.
    if available != U256::MAX {
        if available < amount {
            return Err(Revert::error(&InsufficientAllowance { available, required: amount }));
        }
        storage::store(slot, available - amount);
    }
    Ok(())
}

fn mint(to: Address, amount: U256) -> Result<(), Vec<u8>> {
    // Overflowing the supply reverts with Panic(0x11), like Solidity's checked arithmetic.
    let supply = storage::load(TOTAL_SUPPLY).checked_add(amount).ok_or_else(|| Revert::panic(0x11))?;
    storage::store(TOTAL_SUPPLY, supply);
    BALANCES.set(to, BALANCES.get(to).wrapping_add(amount));
    emit(&Transfer { from: Address::ZERO, to, value: amount });
    Ok(())
}

entry!(call = handle, deploy = deploy);

//! Raw host imports, exactly as the node provides them in the Wasm import module `mosaic`.
//!
//! Pointers are offsets into the contract's exported linear memory (`memory`); 32-byte words are
//! big-endian (as in the EVM), addresses are 20 bytes. Every function here is `unsafe`: the caller
//! guarantees that each pointer addresses enough readable/writable bytes. Prefer the safe wrappers at
//! the crate root. See `wasm/README.md` for the full reference.

#[link(wasm_import_module = "mosaic")]
unsafe extern "C" {
    /// Length of the calldata (or, in `deploy`, of the constructor arguments) in bytes.
    pub fn input_size() -> i32;
    /// Copies `calldata[offset..offset + len]` to `dest`. Traps if the range is out of bounds.
    pub fn input_copy(dest: *mut u8, offset: i32, len: i32);
    /// Sets the frame's return data (revert data if the entry point returns nonzero). Last call wins.
    pub fn set_output(ptr: *const u8, len: i32);
    /// Writes `msg.sender` (20 bytes) to `dest`.
    pub fn caller(dest: *mut u8);
    /// Writes this contract's address (20 bytes) to `dest`.
    pub fn address(dest: *mut u8);
    /// Writes `tx.origin` (20 bytes) to `dest`.
    pub fn origin(dest: *mut u8);
    /// Writes `msg.value` (32-byte big-endian word) to `dest`.
    pub fn call_value(dest: *mut u8);
    /// Writes `block.coinbase` (20 bytes) to `dest`.
    pub fn coinbase(dest: *mut u8);
    /// Writes `block.basefee` (32-byte big-endian word) to `dest`.
    pub fn base_fee(dest: *mut u8);
    /// Writes `tx.gasprice` (32-byte big-endian word) to `dest`.
    pub fn gas_price(dest: *mut u8);
    /// `block.chainid`.
    pub fn chain_id() -> i64;
    /// `block.number`.
    pub fn block_number() -> i64;
    /// `block.timestamp` (seconds).
    pub fn block_timestamp() -> i64;
    /// Gas remaining in this frame.
    pub fn gas_left() -> i64;
    /// Writes the balance (32-byte word) of the 20-byte address at `addr` to `dest`.
    pub fn balance(addr: *const u8, dest: *mut u8);
    /// Reads this contract's storage: 32-byte key at `key`, 32-byte value written to `dest`.
    pub fn sload(key: *const u8, dest: *mut u8);
    /// Writes this contract's storage: 32-byte key at `key`, 32-byte value at `value`.
    pub fn sstore(key: *const u8, value: *const u8);
    /// Writes keccak256(`ptr[..len]`) (32 bytes) to `dest`.
    pub fn keccak256(ptr: *const u8, len: i32, dest: *mut u8);
    /// Emits an EVM log: `n_topics` (0..=4) contiguous 32-byte topics at `topics`, data at `data`.
    pub fn emit_log(topics: *const u8, n_topics: i32, data: *const u8, data_len: i32);
    /// Calls another contract (EVM or Wasm). `kind`: 0 = CALL (32-byte value read from `value`),
    /// 1 = STATICCALL, 2 = DELEGATECALL (`value` ignored for 1 and 2). `gas` is capped at
    /// all-but-1/64 of the remaining gas; -1 requests all available. Returns 0 on success, 1 if the
    /// callee reverted or failed. The callee's output is then readable via `return_data_*`.
    pub fn call(kind: i32, gas: i64, addr: *const u8, value: *const u8, data: *const u8, data_len: i32) -> i32;
    /// Length of the return (or revert) data of the last call made by this frame.
    pub fn return_data_size() -> i32;
    /// Copies `return_data[offset..offset + len]` to `dest`. Traps if out of bounds.
    pub fn return_data_copy(dest: *mut u8, offset: i32, len: i32);
}

/// `kind` argument of [`call`]: a regular CALL (may transfer value).
pub const CALL: i32 = 0;
/// `kind` argument of [`call`]: STATICCALL (no state changes allowed in the callee).
pub const STATICCALL: i32 = 1;
/// `kind` argument of [`call`]: DELEGATECALL (callee's code on this contract's storage and context).
pub const DELEGATECALL: i32 = 2;
/// `gas` argument of [`call`] requesting all available gas (all but 1/64 of what is left).
pub const ALL_GAS: i64 = -1;

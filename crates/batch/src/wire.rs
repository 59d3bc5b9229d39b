//! Byte-level primitives of the payload: unsigned LEB128 varints (canonical: no over-long forms), decimal
//! `(exponent, mantissa)` values, and a bounds-checked reader that never panics or over-allocates.
use crate::BatchError;
use alloc::vec::Vec;
use alloy_primitives::{Address, U256};

/// Appends `v` as unsigned LEB128.
#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a 256-bit `v` as unsigned LEB128 (at most 37 bytes).
pub(crate) fn put_varint_u256(out: &mut Vec<u8>, v: U256) {
    if let Ok(small) = u128::try_from(v) {
        return put_varint(out, small);
    }
    let mut v = v;
    while v >= U256::from(0x80u8) {
        out.push(v.as_limbs()[0] as u8 | 0x80);
        v >>= 7;
    }
    out.push(v.as_limbs()[0] as u8);
}

/// Splits `v` into `(exp, mantissa)` with `v = mantissa · 10^exp` and `exp` maximal (zero is `(0, 0)`).
pub(crate) fn split_decimal(v: U256) -> (u8, U256) {
    if v.is_zero() {
        return (0, v);
    }
    if let Ok(mut m) = u128::try_from(v) {
        let mut exp = 0u8;
        while m % 10 == 0 {
            m /= 10;
            exp += 1;
        }
        return (exp, U256::from(m));
    }
    let (ten, mut m, mut exp) = (U256::from(10u8), v, 0u8);
    loop {
        let (q, r) = m.div_rem(ten);
        if !r.is_zero() {
            return (exp, m);
        }
        m = q;
        exp += 1;
    }
}

/// Appends `v` as `exp u8 ‖ mantissa varint`.
pub(crate) fn put_value(out: &mut Vec<u8>, v: U256) {
    let (exp, mantissa) = split_decimal(v);
    out.push(exp);
    put_varint_u256(out, mantissa);
}

/// Bounds-checked cursor over the decompressed payload.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Bytes not yet read.
    pub(crate) const fn remaining(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, BatchError> {
        let (&b, rest) = self.buf.split_first().ok_or(BatchError::Truncated(what))?;
        self.buf = rest;
        Ok(b)
    }

    #[inline]
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], BatchError> {
        if n > self.buf.len() {
            return Err(BatchError::Truncated(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], BatchError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    pub(crate) fn address(&mut self, what: &'static str) -> Result<Address, BatchError> {
        Ok(Address::new(self.array(what)?))
    }

    /// Canonical LEB128 of at most `bits` bits (`bits` ≤ 128).
    #[inline]
    fn leb(&mut self, bits: u32, what: &'static str) -> Result<u128, BatchError> {
        let mut v = 0u128;
        let mut shift = 0u32;
        loop {
            let b = self.u8(what)?;
            let low = (b & 0x7f) as u128;
            if shift + 7 > bits && low >> (bits - shift) != 0 {
                return Err(BatchError::VarintOverflow(what));
            }
            v |= low << shift;
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    return Err(BatchError::NonCanonical(what));
                }
                return Ok(v);
            }
            shift += 7;
            if shift >= bits {
                return Err(BatchError::VarintOverflow(what));
            }
        }
    }

    #[inline]
    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u64, BatchError> {
        self.leb(64, what).map(|v| v as u64)
    }

    pub(crate) fn varint_u128(&mut self, what: &'static str) -> Result<u128, BatchError> {
        self.leb(128, what)
    }

    /// Canonical LEB128 of at most 256 bits.
    pub(crate) fn varint_u256(&mut self, what: &'static str) -> Result<U256, BatchError> {
        let mut limbs = [0u64; 4];
        let mut shift = 0u32;
        loop {
            let b = self.u8(what)?;
            let low = (b & 0x7f) as u64;
            if shift + 7 > 256 && low >> (256 - shift) != 0 {
                return Err(BatchError::VarintOverflow(what));
            }
            let (limb, off) = ((shift / 64) as usize, shift % 64);
            limbs[limb] |= low << off;
            if off > 57 && limb + 1 < 4 {
                limbs[limb + 1] |= low >> (64 - off);
            }
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    return Err(BatchError::NonCanonical(what));
                }
                return Ok(U256::from_limbs(limbs));
            }
            shift += 7;
            if shift >= 256 {
                return Err(BatchError::VarintOverflow(what));
            }
        }
    }

    /// A count of items each taking at least `min_bytes` bytes, rejected before anything is allocated
    /// for it if the rest of the payload cannot hold that many.
    pub(crate) fn count(&mut self, min_bytes: usize, what: &'static str) -> Result<usize, BatchError> {
        let count = self.varint(what)?;
        let remaining = self.remaining();
        match usize::try_from(count).ok().and_then(|c| c.checked_mul(min_bytes)) {
            Some(need) if need <= remaining => Ok(count as usize),
            _ => Err(BatchError::CountExceedsInput { what, count, remaining }),
        }
    }

    /// A varint index into a table of `len` entries.
    #[inline]
    pub(crate) fn index(&mut self, len: usize, table: &'static str) -> Result<usize, BatchError> {
        let index = self.varint(table)?;
        match usize::try_from(index) {
            Ok(i) if i < len => Ok(i),
            _ => Err(BatchError::IndexOutOfRange { table, index, len }),
        }
    }

    /// `exp u8 ‖ mantissa varint`, canonical (`exp` maximal, zero as `(0, 0)`), checked against 256 bits.
    pub(crate) fn value(&mut self) -> Result<U256, BatchError> {
        const WHAT: &str = "value";
        let exp = self.u8(WHAT)?;
        let mantissa = self.varint_u256(WHAT)?;
        if exp != 0 && (mantissa.is_zero() || (mantissa % U256::from(10u8)).is_zero()) {
            return Err(BatchError::NonCanonical(WHAT));
        }
        if exp == 0 {
            return Ok(mantissa);
        }
        if let (Ok(m), Some(p)) = (u128::try_from(mantissa), 10u128.checked_pow(exp as u32)) {
            if let Some(v) = m.checked_mul(p) {
                return Ok(U256::from(v));
            }
        }
        U256::from(10u8)
            .checked_pow(U256::from(exp))
            .and_then(|p| mantissa.checked_mul(p))
            .ok_or(BatchError::ValueOverflow(exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_roundtrip_and_reject_bad_forms() {
        for v in [0u128, 1, 127, 128, 300, u64::MAX as u128, u64::MAX as u128 + 1, u128::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(Reader::new(&out).varint_u128("x").unwrap(), v);
            if v <= u64::MAX as u128 {
                assert_eq!(Reader::new(&out).varint("x").unwrap() as u128, v);
            } else {
                assert!(matches!(Reader::new(&out).varint("x"), Err(BatchError::VarintOverflow(_))));
            }
        }
        assert!(matches!(Reader::new(&[0x80, 0x00]).varint("x"), Err(BatchError::NonCanonical(_))));
        assert!(matches!(Reader::new(&[0x80]).varint("x"), Err(BatchError::Truncated(_))));
        let eleven = [0xff; 11];
        assert!(matches!(Reader::new(&eleven).varint("x"), Err(BatchError::VarintOverflow(_))));
        // u64::MAX is nine 0xff then 0x01; 0x02 in the last byte overflows.
        let mut over = [0xffu8; 10];
        over[9] = 0x02;
        assert!(matches!(Reader::new(&over).varint("x"), Err(BatchError::VarintOverflow(_))));
        over[9] = 0x01;
        assert_eq!(Reader::new(&over).varint("x").unwrap(), u64::MAX);
    }

    #[test]
    fn u256_varints_and_decimal_values() {
        let samples = [
            U256::ZERO,
            U256::from(1u8),
            U256::from(10u8),
            U256::from(10u128.pow(18)),
            U256::from(5 * 10u128.pow(17)),
            U256::from(u128::MAX),
            U256::from(u128::MAX) + U256::from(1u8),
            U256::from(10u8).pow(U256::from(77u8)),
            U256::MAX,
            U256::MAX - U256::from(5u8),
        ];
        for v in samples {
            let mut out = Vec::new();
            put_varint_u256(&mut out, v);
            assert!(out.len() <= 37);
            let mut r = Reader::new(&out);
            assert_eq!(r.varint_u256("x").unwrap(), v);
            assert_eq!(r.remaining(), 0);
            let mut out = Vec::new();
            put_value(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.value().unwrap(), v, "{v}");
            assert_eq!(r.remaining(), 0);
        }
        let mut one_eth = Vec::new();
        put_value(&mut one_eth, U256::from(10u128.pow(18)));
        assert_eq!(one_eth, [18, 1]);
        // 2^256 does not fit.
        let mut big = [0xffu8; 37];
        big[36] = 0x10;
        assert!(matches!(Reader::new(&big).varint_u256("x"), Err(BatchError::VarintOverflow(_))));
        big[36] = 0x0f;
        assert_eq!(Reader::new(&big).varint_u256("x").unwrap(), U256::MAX);
        // Non-maximal exponent, zero with an exponent, and overflow of mantissa·10^exp.
        assert!(matches!(Reader::new(&[1, 10]).value(), Err(BatchError::NonCanonical(_))));
        assert!(matches!(Reader::new(&[3, 0]).value(), Err(BatchError::NonCanonical(_))));
        assert!(matches!(Reader::new(&[78, 1]).value(), Err(BatchError::ValueOverflow(78))));
        assert!(matches!(Reader::new(&[255, 1]).value(), Err(BatchError::ValueOverflow(255))));
    }
}

//! ECDSA P-256 signatures in the ecosystem's encoding: ASN.1 DER `SEQUENCE { r, s }`.
//!
//! AgentPin puts DER (not JOSE's fixed 64-byte `r || s`) in every signature slot: the JWT's third
//! segment, attestations and challenge responses. We decode strictly (minimal lengths, no leading
//! zero bytes beyond the sign byte, no trailing data, `0 < r, s < n`) so that one signature has
//! exactly one accepted encoding, and we always sign with low `s`.

use std::cmp::Ordering;

/// The order `n` of the P-256 group, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// `floor(n / 2)`: an `s` above this is the "high" twin of `n - s`.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d,
    0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

/// Why signature bytes were refused before any curve arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The bytes are not the one minimal DER encoding of two in-range integers.
    #[error("signature is not canonical DER: {reason}")]
    NonCanonical {
        /// Which rule the encoding breaks.
        reason: &'static str,
    },
    /// `s` is in the upper half of the group order (the malleable twin of a low-`s` signature).
    #[error("signature has a high `s` value")]
    HighS,
}

/// A decoded ECDSA P-256 signature; `r` and `s` are big-endian and in `1..n`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct EcdsaSignature {
    r: [u8; 32],
    s: [u8; 32],
}

impl std::fmt::Debug for EcdsaSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdsaSignature").finish_non_exhaustive()
    }
}

impl EcdsaSignature {
    /// Decodes strict DER. High `s` is accepted here; whether it is allowed is the verifier's call.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, SignatureError> {
        let body = match der {
            [0x30, len, body @ ..] if usize::from(*len) == body.len() && *len < 0x80 => body,
            [0x30, len, ..] if *len >= 0x80 => return Err(non_canonical("long-form length")),
            [0x30, ..] => return Err(non_canonical("length does not match")),
            _ => return Err(non_canonical("not a SEQUENCE")),
        };
        let (r, rest) = integer(body)?;
        let (s, rest) = integer(rest)?;
        if !rest.is_empty() {
            return Err(non_canonical("trailing bytes"));
        }
        Ok(Self { r, s })
    }

    /// Builds a signature from the fixed-width `r || s` form that signers return internally.
    pub(crate) fn from_fixed(fixed: &[u8]) -> Result<Self, SignatureError> {
        let (r, s) = fixed.split_at_checked(32).ok_or(non_canonical("not 64 bytes"))?;
        let r: [u8; 32] = r.try_into().map_err(|_| non_canonical("not 64 bytes"))?;
        let s: [u8; 32] = s.try_into().map_err(|_| non_canonical("not 64 bytes"))?;
        for v in [&r, &s] {
            if v.iter().all(|b| *b == 0) || v.as_slice().cmp(ORDER.as_slice()) != Ordering::Less {
                return Err(non_canonical("integer out of range"));
            }
        }
        Ok(Self { r, s })
    }

    /// Whether `s` is in the upper half of the group order.
    pub(crate) fn is_high_s(&self) -> bool {
        self.s > HALF_ORDER
    }

    /// The low-`s` twin of this signature (itself when `s` is already low).
    pub(crate) fn normalized(self) -> Self {
        if self.is_high_s() { Self { r: self.r, s: sub_from_order(&self.s) } } else { self }
    }

    /// Minimal DER, at most 72 bytes.
    pub(crate) fn to_der(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(72);
        out.push(0x30);
        out.push(0);
        push_integer(&mut out, &self.r);
        push_integer(&mut out, &self.s);
        // INVARIANT (der-short-form): two integers of at most 33 bytes plus headers is at most 70.
        let body_len = out.len().saturating_sub(2);
        if let Some(len) = out.get_mut(1) {
            *len = u8::try_from(body_len).unwrap_or(u8::MAX);
        }
        out
    }

    /// The fixed-width `r || s` form that aws-lc's `*_FIXED` algorithms verify.
    pub(crate) fn to_fixed(self) -> [u8; 64] {
        let mut out = [0u8; 64];
        let (r, s) = out.split_at_mut(32);
        r.copy_from_slice(&self.r);
        s.copy_from_slice(&self.s);
        out
    }
}

fn non_canonical(reason: &'static str) -> SignatureError {
    SignatureError::NonCanonical { reason }
}

/// Reads one DER INTEGER in `1..n` and returns it left-padded to 32 bytes.
fn integer(input: &[u8]) -> Result<([u8; 32], &[u8]), SignatureError> {
    let [0x02, len, rest @ ..] = input else {
        return Err(non_canonical("expected an INTEGER"));
    };
    let len = usize::from(*len);
    let (digits, rest) = rest.split_at_checked(len).ok_or(non_canonical("INTEGER runs past the end"))?;
    let magnitude = match digits {
        [] => return Err(non_canonical("empty INTEGER")),
        [first, ..] if first & 0x80 != 0 => return Err(non_canonical("negative INTEGER")),
        [0, second, ..] if second & 0x80 == 0 => return Err(non_canonical("INTEGER has a superfluous leading zero")),
        [0, tail @ ..] => tail,
        all => all,
    };
    let pad = 32usize.checked_sub(magnitude.len()).ok_or(non_canonical("INTEGER wider than 256 bits"))?;
    let mut value = [0u8; 32];
    value.get_mut(pad..).ok_or(non_canonical("INTEGER wider than 256 bits"))?.copy_from_slice(magnitude);
    if value.iter().all(|b| *b == 0) {
        return Err(non_canonical("INTEGER is zero"));
    }
    if value >= ORDER {
        return Err(non_canonical("INTEGER is not below the group order"));
    }
    Ok((value, rest))
}

fn push_integer(out: &mut Vec<u8>, value: &[u8; 32]) {
    let first = value.iter().position(|b| *b != 0).unwrap_or(31);
    let digits = value.get(first..).unwrap_or(&[]);
    let sign_pad = digits.first().is_some_and(|b| b & 0x80 != 0);
    out.push(0x02);
    out.push(u8::try_from(digits.len() + usize::from(sign_pad)).unwrap_or(u8::MAX));
    if sign_pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
}

/// `n - s` for `0 < s < n`, in 256-bit big-endian arithmetic.
fn sub_from_order(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0u16;
    for ((o, n), s) in out.iter_mut().zip(ORDER.iter()).zip(s.iter()).rev() {
        let diff = u16::from(*n).wrapping_sub(u16::from(*s)).wrapping_sub(borrow);
        *o = (diff & 0xff) as u8;
        borrow = u16::from(diff > 0xff);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn scalar() -> impl Strategy<Value = [u8; 32]> {
        any::<[u8; 32]>().prop_filter("in 1..n", |v| v.iter().any(|b| *b != 0) && *v < ORDER)
    }

    proptest! {
        #[test]
        fn der_round_trips(r in scalar(), s in scalar()) {
            let sig = EcdsaSignature { r, s };
            let der = sig.to_der();
            prop_assert_eq!(EcdsaSignature::from_der(&der), Ok(sig));
            prop_assert_eq!(EcdsaSignature::from_fixed(&sig.to_fixed()), Ok(sig));
        }

        #[test]
        fn normalizing_gives_low_s_and_is_an_involution_pair(r in scalar(), s in scalar()) {
            let sig = EcdsaSignature { r, s };
            let low = sig.normalized();
            prop_assert!(!low.is_high_s());
            if sig.is_high_s() {
                // n - (n - s) = s: the twin maps back.
                prop_assert_eq!(sub_from_order(&low.s), s);
            } else {
                prop_assert_eq!(low, sig);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(sig) = EcdsaSignature::from_der(&bytes) {
                // Only the canonical encoding is accepted, so re-encoding gives the input back.
                prop_assert_eq!(sig.to_der(), bytes);
            }
        }
    }

    #[test]
    fn non_minimal_encodings_are_refused() {
        let sig = EcdsaSignature { r: [1; 32], s: [2; 32] };
        let der = sig.to_der();
        let mut padded = vec![0x30, der[1] + 1, 0x02, 33, 0x00];
        padded.extend_from_slice(&der[4..]);
        assert!(matches!(EcdsaSignature::from_der(&padded), Err(SignatureError::NonCanonical { .. })));
        let mut long_form = vec![0x30, 0x81, der[1]];
        long_form.extend_from_slice(&der[2..]);
        assert!(EcdsaSignature::from_der(&long_form).is_err());
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(EcdsaSignature::from_der(&trailing).is_err());
        let mut order = vec![0x30, 0x44, 0x02, 0x20];
        order.extend_from_slice(&[1; 32]);
        order.extend_from_slice(&[0x02, 0x20]);
        order.extend_from_slice(&[0x7f; 32]);
        assert!(EcdsaSignature::from_der(&order).is_ok());
        order.truncate(36);
        order.extend_from_slice(&[0x02, 0x21, 0x00]);
        order.extend_from_slice(&ORDER);
        order[1] = 0x45;
        assert!(EcdsaSignature::from_der(&order).is_err(), "s = n is out of range");
    }
}

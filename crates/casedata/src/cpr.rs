//! Danish CPR numbers: recognising them, and replacing identifiers by keyed pseudonyms.
//!
//! A CPR number is DDMMYY-SSSS (with or without the dash) whose first six digits are a valid
//! date in the 1900s or 2000s. som refuses such identifiers unless the user asks for
//! pseudonymisation; then every identifier becomes `P` + the first 20 hex digits of
//! HMAC-SHA-256(key, identifier). The key is held in memory only.

use crate::parse::days_in_month;
use sha2::{Digest, Sha256};

/// Whether a value looks like a Danish CPR number.
pub fn looks_like_cpr(s: &str) -> bool {
    let t = s.trim();
    let digits: Vec<u8> = match t.len() {
        10 => t.bytes().collect(),
        11 if t.as_bytes()[6] == b'-' => t.bytes().filter(|&b| b != b'-').collect(),
        _ => return false,
    };
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let two = |i: usize| u32::from(digits[i] - b'0') * 10 + u32::from(digits[i + 1] - b'0');
    let (d, m, y) = (two(0), two(2), two(4));
    (1..=12).contains(&m)
        && [1900, 2000]
            .iter()
            .any(|c| d >= 1 && d <= days_in_month(c + y as i32, m))
}

/// Whether any part of `s` looks like a CPR number (ten digits, or six, a dash and four, that
/// make a date; or nine digits that do with the leading zero a number drops), alone or inside
/// other text.
pub fn contains_cpr_like(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        let starts = i == 0 || !b[i - 1].is_ascii_digit();
        starts
            && [9usize, 10, 11].iter().any(|&n| {
                i + n <= b.len()
                    && (i + n == b.len() || !b[i + n].is_ascii_digit())
                    && std::str::from_utf8(&b[i..i + n]).is_ok_and(|t| {
                        looks_like_cpr(t)
                            // Stored as a number, a CPR number of days 1–9 lost its first zero.
                            || (n == 9 && looks_like_cpr(&format!("0{t}")))
                    })
            })
    })
}

/// HMAC-SHA-256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for i in 0..BLOCK {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// A pseudonymisation key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<hidden>)")
    }
}

impl Key {
    /// A key from bytes; at least 16 bytes are required.
    pub fn new(bytes: Vec<u8>) -> Option<Key> {
        (bytes.len() >= 16).then_some(Key(bytes))
    }

    /// The pseudonym of an identifier (CPR dashes are removed first, so both spellings agree).
    pub fn pseudonym(&self, id: &str) -> String {
        let t = id.trim();
        let canon: String = if looks_like_cpr(t) {
            t.chars().filter(|&c| c != '-').collect()
        } else {
            t.to_string()
        };
        let mac = hmac_sha256(&self.0, canon.as_bytes());
        format!("P{}", &som_core::source::hex(&mac)[..20])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_cpr_numbers() {
        assert!(looks_like_cpr("010203-1234"));
        assert!(looks_like_cpr("0102031234"));
        assert!(looks_like_cpr("290200-4321")); // 29 Feb 2000
        assert!(!looks_like_cpr("320103-1234")); // day 32
        assert!(!looks_like_cpr("011303-1234")); // month 13
        assert!(!looks_like_cpr("S000123"));
        assert!(!looks_like_cpr("01020312345"));
        assert!(!looks_like_cpr("0102-031234"));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            som_core::source::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn pseudonyms_depend_on_the_key_only() {
        let a = Key::new(b"0123456789abcdef".to_vec()).unwrap();
        let b = Key::new(b"fedcba9876543210".to_vec()).unwrap();
        assert_eq!(a.pseudonym("010203-1234"), a.pseudonym("0102031234"));
        assert_ne!(a.pseudonym("010203-1234"), b.pseudonym("010203-1234"));
        assert_eq!(a.pseudonym("x").len(), 21);
        assert!(Key::new(b"short".to_vec()).is_none());
        assert_eq!(format!("{a:?}"), "Key(<hidden>)");
    }
}

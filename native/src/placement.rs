//! Kafka's murmur2 of a record key (`org.apache.kafka.common.utils.Utils.murmur2`): where the Java client,
//! and so every producer of the chain, puts a keyed record. `schemas/placement.py` holds the Python
//! reference, which a test checks this against (and both against kafka-python's).

use pyo3::prelude::*;

/// Kafka's murmur2 of `key`, as an unsigned 32-bit number.
#[pyfunction]
pub fn murmur2(key: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    const SEED: u32 = 0x9747_b28c;
    // the length as Java's int: a key of 2 GiB or more is not a Kafka key
    let mut h = SEED ^ key.len() as u32;
    let mut words = key.chunks_exact(4);
    for word in &mut words {
        let mut k = u32::from_le_bytes([word[0], word[1], word[2], word[3]]).wrapping_mul(M);
        k ^= k >> 24;
        h = h.wrapping_mul(M) ^ k.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        h ^= tail
            .iter()
            .rev()
            .fold(0u32, |acc, byte| acc << 8 | u32::from(*byte));
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^ h >> 15
}

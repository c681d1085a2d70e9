//! The message book's constraints that Avro cannot express (patterns, lengths, ranges), checked by the Avro
//! reader on the raw values of a record's fields, before they become Python objects.
//!
//! Python (`schemas/constraints.py`) stays the reference and names every broken constraint; here a value
//! only passes or makes the reader decline, and the codec then reads the value with fastavro and Python's
//! checks, which name what is wrong. So these checks may be stricter than Python's, never more lenient:
//! whatever they cannot judge exactly (a pattern beyond the small subset below, a number whose comparison
//! would round) either stops the schema from compiling (fastavro and Python then read all its values) or
//! declines the value.
//!
//! Patterns: anchored at both ends (`^...$`, `$` ending the string as in JSON Schema) sequences of ASCII
//! literals and ASCII character classes, each with an optional quantifier (`?`, `*`, `+`, `{n}`, `{m,}`,
//! `{m,n}`). Such a pattern is a plain regular language whose every atom matches one ASCII byte, so it is
//! matched on the UTF-8 bytes (a non-ASCII character's bytes match no atom, as the character matches none
//! in Python) by following the set of positions a prefix of the items can reach.

use serde_json::Value;

/// A set of ASCII bytes, as a table of every byte (a byte outside ASCII is in no set).
#[derive(Clone, Copy)]
struct ByteSet([bool; 256]);

impl ByteSet {
    fn add(&mut self, byte: u8) {
        self.0[usize::from(byte)] = true;
    }

    fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte)]
    }
}

/// One atom with its quantifier: between `min` and `max` bytes of `set`.
struct Item {
    set: ByteSet,
    min: usize,
    max: usize,
}

/// Values longer than this are not matched here (the reader declines them, Python matches them): the
/// reachable positions fit in one 128-bit mask.
const LONGEST_MATCHED: usize = 127;

/// A compiled pattern of the subset described above.
pub struct Pattern {
    items: Vec<Item>,
    /// The length of every match when every item has a fixed count (`^ck_[0-9a-f]{24}$`): then a value of
    /// that length is tested byte by byte.
    fixed: Option<usize>,
}

const META: &[u8] = b"\\^$.|?*+()[]{}";

impl Pattern {
    /// Compiles `pattern`; Err names what is outside the subset.
    pub fn compile(pattern: &str) -> Result<Pattern, String> {
        let unsupported = || format!("pattern {pattern:?} is beyond the natively checked subset");
        let body = pattern
            .strip_prefix('^')
            .and_then(|p| p.strip_suffix('$'))
            .filter(|p| !p.ends_with('\\'))
            .ok_or_else(unsupported)?
            .as_bytes();
        let mut items = Vec::new();
        let mut i = 0;
        while i < body.len() {
            let mut set = ByteSet([false; 256]);
            match body[i] {
                b'[' => {
                    let end = i
                        + 1
                        + body[i + 1..]
                            .iter()
                            .position(|b| *b == b']')
                            .ok_or_else(unsupported)?;
                    let class = &body[i + 1..end];
                    if class.is_empty()
                        || class[0] == b'^'
                        || class.iter().any(|b| !b.is_ascii() || b"\\[".contains(b))
                    {
                        return Err(unsupported());
                    }
                    let mut j = 0;
                    while j < class.len() {
                        if j + 2 < class.len() && class[j + 1] == b'-' {
                            if class[j] > class[j + 2] {
                                return Err(unsupported());
                            }
                            (class[j]..=class[j + 2]).for_each(|b| set.add(b));
                            j += 3;
                        } else {
                            set.add(class[j]);
                            j += 1;
                        }
                    }
                    i = end + 1;
                }
                b'\\' if body[i + 1].is_ascii_punctuation() => {
                    set.add(body[i + 1]);
                    i += 2;
                }
                byte if byte.is_ascii() && !byte.is_ascii_control() && !META.contains(&byte) => {
                    set.add(byte);
                    i += 1;
                }
                _ => return Err(unsupported()),
            }
            let (min, max, used) = quantifier(&body[i..]).ok_or_else(unsupported)?;
            i += used;
            items.push(Item { set, min, max });
        }
        let fixed = items.iter().try_fold(0usize, |total, item| {
            (item.min == item.max).then(|| total.checked_add(item.min))?
        });
        Ok(Pattern { items, fixed })
    }

    /// Whether `value` (UTF-8 bytes) matches; None when it is too long to be judged here.
    pub fn matches(&self, value: &[u8]) -> Option<bool> {
        if let Some(length) = self.fixed {
            if value.len() != length {
                return Some(false);
            }
            let mut rest = value;
            for item in &self.items {
                let (run, after) = rest.split_at(item.min);
                if !run.iter().all(|b| item.set.contains(*b)) {
                    return Some(false);
                }
                rest = after;
            }
            return Some(true);
        }
        if value.len() > LONGEST_MATCHED {
            return None;
        }
        // bit p: position p is reachable by the items so far
        let mut reach: u128 = 1;
        for item in &self.items {
            let mut next: u128 = 0;
            let mut run = 0; // where the current run of bytes in the item's set started
            for end in 0..=value.len() {
                if end > 0 && !item.set.contains(value[end - 1]) {
                    run = end;
                }
                if end < item.min {
                    continue;
                }
                // a start in [max(run, end - max), end - min] that is reachable
                let (low, high) = (run.max(end.saturating_sub(item.max)), end - item.min);
                if low <= high && reach >> low & (u128::MAX >> (127 - (high - low))) != 0 {
                    next |= 1 << end;
                }
            }
            reach = next;
            if reach == 0 {
                return Some(false);
            }
        }
        Some(reach >> value.len() & 1 == 1)
    }
}

/// The quantifier at the start of `rest`: (min, max, bytes used); none: exactly once. None for a lazy or
/// malformed one.
fn quantifier(rest: &[u8]) -> Option<(usize, usize, usize)> {
    let (min, max, used) = match rest.first() {
        Some(b'?') => (0, 1, 1),
        Some(b'*') => (0, usize::MAX, 1),
        Some(b'+') => (1, usize::MAX, 1),
        Some(b'{') => {
            let close = rest.iter().position(|b| *b == b'}')?;
            let inside = std::str::from_utf8(&rest[1..close]).ok()?;
            let number = |text: &str| -> Option<usize> {
                (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| text.parse().ok())?
            };
            let (min, max) = match inside.split_once(',') {
                None => (number(inside)?, number(inside)?),
                Some((low, "")) => (number(low)?, usize::MAX),
                Some((low, high)) => (number(low)?, number(high)?),
            };
            (min <= max).then_some((min, max, close + 1))?
        }
        _ => (1, 1, 0),
    };
    // a quantifier after a quantifier (lazy `*?`, possessive, nested) is not in the subset
    matches!(rest.get(used), Some(b'?' | b'*' | b'+' | b'{'))
        .then_some(())
        .map_or(Some((min, max, used)), |()| None)
}

/// A number from the JSON Schema: a limit, kept as it was written.
#[derive(Clone, Copy)]
pub enum Limit {
    Int(i64),
    Float(f64),
}

/// Integers up to this size convert to a double exactly.
const EXACT: i64 = 1 << 53;

/// A range keyword: how a value must compare with its limit.
#[derive(Clone, Copy)]
pub enum Comparison {
    Minimum,
    Maximum,
    ExclusiveMinimum,
    ExclusiveMaximum,
}

impl Comparison {
    fn keeps(self, order: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        match self {
            Comparison::Minimum => order != Less,
            Comparison::Maximum => order != Greater,
            Comparison::ExclusiveMinimum => order == Greater,
            Comparison::ExclusiveMaximum => order == Less,
        }
    }
}

/// The checks of one field.
pub enum Check {
    Str {
        pattern: Option<Pattern>,
        min_length: Option<usize>,
        max_length: Option<usize>,
    },
    Number(Vec<(Comparison, Limit)>),
}

impl Check {
    /// Compiles a field's rules, each `[keyword, value]` as the JSON Schema gives it; `string` tells
    /// whether the field is a string (else a number).
    pub fn compile(rules: &[Value], string: bool) -> Result<Check, String> {
        let mut check = if string {
            Check::Str {
                pattern: None,
                min_length: None,
                max_length: None,
            }
        } else {
            Check::Number(Vec::new())
        };
        for rule in rules {
            let (keyword, value) = match rule.as_array().map(Vec::as_slice) {
                Some([Value::String(keyword), value]) => (keyword.as_str(), value),
                _ => return Err(format!("not a [keyword, value] rule: {rule}")),
            };
            let unchecked = || format!("{keyword} {value} is not checked natively on this field");
            match (&mut check, keyword) {
                (Check::Str { pattern, .. }, "pattern") => {
                    *pattern = Some(Pattern::compile(value.as_str().ok_or_else(unchecked)?)?);
                }
                (Check::Str { min_length, .. }, "minLength") => {
                    *min_length = Some(
                        usize::try_from(value.as_u64().ok_or_else(unchecked)?)
                            .map_err(|_| unchecked())?,
                    );
                }
                (Check::Str { max_length, .. }, "maxLength") => {
                    *max_length = Some(
                        usize::try_from(value.as_u64().ok_or_else(unchecked)?)
                            .map_err(|_| unchecked())?,
                    );
                }
                (Check::Number(bounds), _) => {
                    let bound = match keyword {
                        "minimum" => Comparison::Minimum,
                        "maximum" => Comparison::Maximum,
                        "exclusiveMinimum" => Comparison::ExclusiveMinimum,
                        "exclusiveMaximum" => Comparison::ExclusiveMaximum,
                        _ => return Err(unchecked()),
                    };
                    let limit = match (value.as_i64(), value.as_f64()) {
                        (Some(n), _) if n.abs() <= EXACT => Limit::Int(n),
                        (None, Some(x)) if value.is_f64() && x.is_finite() => Limit::Float(x),
                        _ => return Err(unchecked()),
                    };
                    bounds.push((bound, limit));
                }
                _ => return Err(unchecked()),
            }
        }
        Ok(check)
    }

    /// Whether a string (its UTF-8 bytes) surely keeps every rule.
    pub fn keeps_str(&self, value: &[u8]) -> bool {
        let Check::Str {
            pattern,
            min_length,
            max_length,
        } = self
        else {
            return false;
        };
        // code points are counted only when the byte count does not decide (a code point is 1-4 bytes)
        let bytes = value.len();
        if min_length.is_some_and(|n| bytes / 4 < n) || max_length.is_some_and(|n| bytes > n) {
            let length = value.iter().filter(|b| **b & 0xc0 != 0x80).count();
            if min_length.is_some_and(|n| length < n) || max_length.is_some_and(|n| length > n) {
                return false;
            }
        }
        pattern
            .as_ref()
            .is_none_or(|p| p.matches(value) == Some(true))
    }

    /// Whether an integer surely keeps every rule (compared exactly; a comparison that would round is not sure).
    pub fn keeps_int(&self, value: i64) -> bool {
        let Check::Number(bounds) = self else {
            return false;
        };
        bounds.iter().all(|(bound, limit)| {
            let order = match *limit {
                Limit::Int(n) => Some(value.cmp(&n)),
                Limit::Float(x) if value.abs() <= EXACT => (value as f64).partial_cmp(&x),
                Limit::Float(_) => None,
            };
            order.is_some_and(|order| bound.keeps(order))
        })
    }

    /// Whether a double surely keeps every rule (NaN keeps none, as in Python).
    pub fn keeps_float(&self, value: f64) -> bool {
        let Check::Number(bounds) = self else {
            return false;
        };
        bounds.iter().all(|(bound, limit)| {
            let limit = match *limit {
                Limit::Int(n) => n as f64, // exact: |n| <= 2^53
                Limit::Float(x) => x,
            };
            value
                .partial_cmp(&limit)
                .is_some_and(|order| bound.keeps(order))
        })
    }
}

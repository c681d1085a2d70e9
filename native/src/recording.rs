//! The recording line parser: one JSON record line to the fields of a `ConsumedRecord`.
//!
//! Like the Avro reader it answers "here is the record" or "ask Python" (None), and it is strict: any line
//! that is not exactly the documented record line in its usual form (the trailer, a key beyond the eight
//! of a record line, a corrupt line, a number where a string belongs, a JSON escape, base64 that is not
//! canonical, a null header value, a header of the `[null, value, raw name]` form that keeps a name that is
//! not UTF-8) is handed to the Python reader, which reads it or names what is wrong.
//! So a line it accepts gives the same record the Python reader gives, without copying that reader's
//! leniencies.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use serde::Deserialize;

/// A record line, borrowing its strings from the line: a string with a JSON escape cannot be borrowed and
/// makes the parse fail, so such a (rare) line goes to the Python reader. Base64 never has escapes, and is
/// read as raw bytes (its alphabet is ASCII: base64 decoding rejects anything else, so the UTF-8 check a
/// `&str` would cost is left out). Any other key (the trailer's `end` among them) makes it fail too.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    topic: &'a str,
    partition: i64,
    offset: i64,
    timestamp: i64,
    timestamp_type: i64,
    // `Option::deserialize` by name: serde would otherwise read a missing key or value as null, which the
    // Python reader rejects
    #[serde(borrow, deserialize_with = "Option::deserialize")]
    key: Option<&'a [u8]>,
    #[serde(borrow, deserialize_with = "Option::deserialize")]
    value: Option<&'a [u8]>,
    #[serde(borrow)]
    headers: Vec<(&'a str, &'a [u8])>,
}

/// How many distinct topic names and header keys are kept as shared strings (a bound, not a tuning knob:
/// a recording has a few topics and a few header keys, looked up by a linear scan).
const NAMES_KEPT: usize = 64;

/// How many distinct values of one header are kept as shared `(name, value)` tuples. Most headers take a
/// few values over a whole recording (`ce_type`, `ce_source`, `content-type`): they are decoded once and
/// shared. A header with more distinct values than this (`ce_id`, `ce_time`) is a varying one: its values
/// are forgotten and decoded every time.
const VALUES_KEPT: usize = 256;

/// FxHash (rustc's hasher): a few instructions per word, enough for a bounded table of base64 texts.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        for byte in chunks.remainder() {
            self.add(u64::from(*byte));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Shared `(name, value)` tuples of one header by their base64 text.
type Values = HashMap<Box<[u8]>, Py<PyTuple>, BuildHasherDefault<Fx>>;

/// One header key or topic name, with the header's shared `(name, value)` tuples by base64 text (None once
/// it has proved varying).
struct Name {
    text: String,
    string: Py<PyString>,
    values: Option<Values>,
}

/// Parses record lines; keeps topic names and header keys as shared Python strings, and the usual values
/// of each header as shared tuples.
#[pyclass(module = "sigma_native")]
pub struct LineParser {
    names: Vec<Name>,
}

impl LineParser {
    /// The kept name `text`, if it is kept or can be (None when the table is full).
    fn kept<'py>(&mut self, py: Python<'py>, text: &str) -> Option<&mut Name> {
        let index = match self.names.iter().position(|kept| kept.text == text) {
            Some(index) => index,
            None if self.names.len() < NAMES_KEPT => {
                self.names.push(Name {
                    text: text.to_owned(),
                    string: PyString::new(py, text).unbind(),
                    values: Some(HashMap::default()),
                });
                self.names.len() - 1
            }
            None => return None,
        };
        Some(&mut self.names[index])
    }

    fn name<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        match self.kept(py, text) {
            Some(kept) => kept.string.bind(py).clone(),
            None => PyString::new(py, text),
        }
    }

    /// The `(name, value)` tuple of a header, shared when the header takes few values.
    fn header<'py>(
        &mut self,
        py: Python<'py>,
        name: &str,
        text: &[u8],
    ) -> Option<Bound<'py, PyTuple>> {
        let Some(kept) = self.kept(py, name) else {
            return PyTuple::new(
                py,
                [
                    PyString::new(py, name).into_any(),
                    bytes(py, text)?.into_any(),
                ],
            )
            .ok();
        };
        if let Some(found) = kept.values.as_ref().and_then(|values| values.get(text)) {
            return Some(found.bind(py).clone());
        }
        let made = PyTuple::new(
            py,
            [
                kept.string.bind(py).clone().into_any(),
                bytes(py, text)?.into_any(),
            ],
        )
        .ok()?;
        if let Some(values) = &mut kept.values {
            if values.len() < VALUES_KEPT {
                values.insert(text.into(), made.clone().unbind());
            } else {
                kept.values = None;
            }
        }
        Some(made)
    }
}

const INVALID: u8 = 0xff;

/// Each base64 character's six bits; INVALID for every other byte, `=` included (padding is handled apart).
const SEXTETS: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Canonical, padded base64 (RFC 4648, the standard alphabet) decoded into `out`, which has the decoded
/// size; None for anything else: a length not a multiple of 4, a character outside the alphabet, padding
/// anywhere but at the end, or bits left over that are not zero (what the Python reader would accept or
/// read otherwise is left to it).
fn decode(text: &[u8], out: &mut [u8]) -> Option<()> {
    let sextet = |byte: u8| -> Option<u32> {
        let bits = SEXTETS[usize::from(byte)];
        (bits != INVALID).then_some(u32::from(bits))
    };
    let full = out.len() / 3;
    let (quads, last) = text.split_at(full * 4);
    for (quad, bytes) in quads.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let (a, b, c, d) = (
            SEXTETS[usize::from(quad[0])],
            SEXTETS[usize::from(quad[1])],
            SEXTETS[usize::from(quad[2])],
            SEXTETS[usize::from(quad[3])],
        );
        if (a | b | c | d) & 0x80 != 0 {
            return None;
        }
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        bytes.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    let rest = &mut out[full * 3..];
    match (last, rest.len()) {
        ([], 0) => Some(()),
        ([a, b, b'=', b'='], 1) => {
            let (a, b) = (sextet(*a)?, sextet(*b)?);
            (b & 0x0f == 0).then(|| rest[0] = (a << 2 | b >> 4) as u8)
        }
        ([a, b, c, b'='], 2) => {
            let n = sextet(*a)? << 12 | sextet(*b)? << 6 | sextet(*c)?;
            (n & 0x03 == 0).then(|| rest.copy_from_slice(&(n >> 2).to_be_bytes()[2..]))
        }
        _ => None,
    }
}

/// Strict base64 (padded, canonical) decoded straight into a new bytes object.
fn bytes<'py>(py: Python<'py>, text: &[u8]) -> Option<Bound<'py, PyBytes>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let padding = text
        .iter()
        .rev()
        .take(2)
        .take_while(|b| **b == b'=')
        .count();
    let size = text.len() / 4 * 3 - padding;
    // SAFETY: a new bytes object of `size` uninitialised bytes, owned here; every byte is written by
    // `decode` before it is handed out (on failure it is dropped unread)
    unsafe {
        let made =
            pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), isize::try_from(size).ok()?);
        let made = Bound::from_owned_ptr_or_opt(py, made)?.cast_into_unchecked::<PyBytes>();
        let out = std::slice::from_raw_parts_mut(
            pyo3::ffi::PyBytes_AsString(made.as_ptr()).cast::<u8>(),
            size,
        );
        decode(text, out).map(|()| made)
    }
}

fn optional_bytes<'py>(py: Python<'py>, text: Option<&[u8]>) -> Option<Bound<'py, PyAny>> {
    match text {
        None => Some(py.None().into_bound(py)),
        Some(text) => bytes(py, text).map(Bound::into_any),
    }
}

#[pymethods]
impl LineParser {
    #[new]
    fn new() -> Self {
        LineParser { names: Vec::new() }
    }

    /// (topic, partition, offset, timestamp, timestamp_type, key, value, headers) of a record line,
    /// or None when the Python reader must read the line (the trailer, or anything unexpected).
    fn parse<'py>(&mut self, py: Python<'py>, line: &[u8]) -> Option<Bound<'py, PyTuple>> {
        // a record line is a JSON object (serde would also read a struct from an array, Python does not)
        if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return None;
        }
        let parsed: Line = serde_json::from_slice(line).ok()?;
        let headers = PyList::empty(py);
        for (name, value) in &parsed.headers {
            headers.append(self.header(py, name, value)?).ok()?;
        }
        let fields = (
            self.name(py, parsed.topic),
            parsed.partition,
            parsed.offset,
            parsed.timestamp,
            parsed.timestamp_type,
            optional_bytes(py, parsed.key)?,
            optional_bytes(py, parsed.value)?,
            headers,
        );
        fields.into_pyobject(py).ok()
    }
}

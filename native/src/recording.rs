//! The recording line parser: one JSON record line to a `ConsumedRecord`.
//!
//! Like the Avro reader it answers "here is the record" or "ask Python" (None), and it is strict: any line
//! that is not exactly the documented record line in its usual form (the trailer, a key beyond the eight
//! of a record line or one of them twice, a corrupt line, a number where a string belongs or a number that
//! is not a plain integer, a JSON escape, base64 that is not canonical, a null header value, a header of
//! the `[null, value, raw name]` form that keeps a name that is not UTF-8) is handed to the Python reader,
//! which reads it or names what is wrong. So a line it accepts gives the same record the Python reader
//! gives, without copying that reader's leniencies.
//!
//! Why a scanner of its own rather than serde: a record line is one flat object of eight known keys, and
//! reading it in place (keys compared as bytes, base64 found with `memchr` and decoded straight into the
//! bytes objects) takes a third of what a general JSON deserializer takes, on the hottest path of offline
//! validation.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple, PyType};

/// A position in one line; every read returns None for anything but the usual form.
struct Scan<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Scan<'a> {
    /// The next byte after JSON whitespace (not taken).
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.line.get(self.pos) {
            self.pos += 1;
        }
        self.line.get(self.pos).copied()
    }

    /// Takes `byte`, after whitespace.
    fn byte(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// A string's bytes between its quotes, read in place: None for a string with an escape (Python reads
    /// those). Control characters are not looked for: a caller either decodes base64 (which has none) or
    /// checks the text (`text`).
    fn raw(&mut self) -> Option<&'a [u8]> {
        self.byte(b'"')?;
        let rest = &self.line[self.pos..];
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[end] != b'"' {
            return None;
        }
        self.pos += end + 1;
        Some(&rest[..end])
    }

    /// `null` (true) or a string's raw bytes (false, and the bytes).
    fn raw_or_null(&mut self) -> Option<Option<&'a [u8]>> {
        if self.peek()? == b'n' {
            let end = self.pos + 4;
            (self.line.get(self.pos..end)? == b"null").then(|| self.pos = end)?;
            return Some(None);
        }
        self.raw().map(Some)
    }

    /// A JSON integer in its plain form (no fraction, no exponent) within 64 bits.
    fn int(&mut self) -> Option<i64> {
        self.peek()?;
        let start = self.pos;
        let negative = self.line[start] == b'-';
        let digits = start + usize::from(negative);
        let end = digits
            + self.line[digits..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        let text = &self.line[digits..end];
        if text.is_empty() || (text[0] == b'0' && text.len() > 1) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.line.get(end) {
            return None;
        }
        self.pos = end;
        let magnitude = text.iter().try_fold(0i64, |n, d| {
            n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))
        })?;
        if negative {
            Some(magnitude)
        } else {
            magnitude.checked_neg()
        }
    }
}

/// A JSON string's text: valid UTF-8 without control characters (JSON requires them escaped).
fn text(raw: &[u8]) -> Option<&str> {
    if raw.iter().any(|b| *b < 0x20) {
        return None;
    }
    std::str::from_utf8(raw).ok()
}

/// The keys of a record line, in the order of the record's fields.
const KEYS: [&[u8]; 8] = [
    b"topic",
    b"partition",
    b"offset",
    b"timestamp",
    b"timestamp_type",
    b"key",
    b"value",
    b"headers",
];

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
    /// Where in `names` to look first (after the name found last).
    next: usize,
    record: Option<Py<PyType>>,
}

impl LineParser {
    /// The kept name whose raw string bytes are `raw` (its index), or the name as a new string when no more
    /// are kept; None when `raw` is not a JSON string's text. A kept name is found by its bytes, the one
    /// after the last found first (header keys come in the same order on every line), and only a new one is
    /// checked.
    fn find<'py>(
        &mut self,
        py: Python<'py>,
        raw: &[u8],
    ) -> Option<Result<usize, Bound<'py, PyString>>> {
        let hint = self.next;
        let found = if self
            .names
            .get(hint)
            .is_some_and(|kept| kept.text.as_bytes() == raw)
        {
            Some(hint)
        } else {
            self.names
                .iter()
                .position(|kept| kept.text.as_bytes() == raw)
        };
        let index = match found {
            Some(index) => index,
            None => {
                let text = text(raw)?;
                if self.names.len() == NAMES_KEPT {
                    return Some(Err(PyString::new(py, text)));
                }
                self.names.push(Name {
                    text: text.to_owned(),
                    string: PyString::new(py, text).unbind(),
                    values: Some(HashMap::default()),
                });
                self.names.len() - 1
            }
        };
        self.next = index + 1;
        Some(Ok(index))
    }

    fn name<'py>(&mut self, py: Python<'py>, raw: &[u8]) -> Option<Bound<'py, PyString>> {
        Some(match self.find(py, raw)? {
            Ok(index) => self.names[index].string.bind(py).clone(),
            Err(made) => made,
        })
    }

    /// The `(name, value)` tuple of a header, shared when the header takes few values.
    fn header<'py>(
        &mut self,
        py: Python<'py>,
        name: &[u8],
        text: &[u8],
    ) -> Option<Bound<'py, PyTuple>> {
        let kept = match self.find(py, name)? {
            Ok(index) => &mut self.names[index],
            Err(made) => {
                return PyTuple::new(py, [made.into_any(), bytes(py, text)?.into_any()]).ok()
            }
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

/// `SEXTETS` shifted to each of the four places of a quad's 24 bits; a byte outside the alphabet sets bits
/// above them.
const PLACED: [[u32; 256]; 4] = {
    let mut tables = [[0; 256]; 4];
    let mut place = 0;
    while place < 4 {
        let mut byte = 0;
        while byte < 256 {
            tables[place][byte] = match SEXTETS[byte] {
                INVALID => 0xff00_0000,
                bits => (bits as u32) << (18 - 6 * place),
            };
            byte += 1;
        }
        place += 1;
    }
    tables
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
    // each character's bits already in place in the quad's 24 (INVALID: a high byte set, kept by the ORs)
    let mut bad = 0;
    for (quad, bytes) in quads.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let n = PLACED[0][usize::from(quad[0])]
            | PLACED[1][usize::from(quad[1])]
            | PLACED[2][usize::from(quad[2])]
            | PLACED[3][usize::from(quad[3])];
        bad |= n;
        bytes.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    if bad >> 24 != 0 {
        return None;
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

impl LineParser {
    /// The headers array: `[name, base64 value]` pairs, as a list of (possibly shared) tuples.
    fn headers<'py>(&mut self, py: Python<'py>, scan: &mut Scan) -> Option<Bound<'py, PyList>> {
        let headers = PyList::empty(py);
        scan.byte(b'[')?;
        if scan.peek()? == b']' {
            scan.pos += 1;
            return Some(headers);
        }
        loop {
            scan.byte(b'[')?;
            let name = scan.raw()?;
            scan.byte(b',')?;
            let value = scan.raw()?;
            scan.byte(b']')?;
            headers.append(self.header(py, name, value)?).ok()?;
            match scan.peek()? {
                b',' => scan.pos += 1,
                b']' => {
                    scan.pos += 1;
                    return Some(headers);
                }
                _ => return None,
            }
        }
    }
}

#[pymethods]
impl LineParser {
    /// A parser whose records are instances of `record`, a tuple class of the eight fields (``ConsumedRecord``),
    /// or plain tuples without it.
    #[new]
    #[pyo3(signature = (record=None, /))]
    fn new(record: Option<Bound<'_, PyType>>) -> PyResult<Self> {
        if let Some(record) = &record {
            // SAFETY: reading the type object of a live class
            let plain = unsafe {
                let kind = record.as_type_ptr();
                let tuple = std::ptr::addr_of_mut!(pyo3::ffi::PyTuple_Type);
                pyo3::ffi::PyType_IsSubtype(kind, tuple) != 0
                    && (*kind).tp_basicsize == (*tuple).tp_basicsize
                    && (*kind).tp_dictoffset == 0
                    && (*kind).tp_alloc.is_some()
            };
            if !plain {
                return Err(PyValueError::new_err(
                    "record must be a tuple class without fields of its own (a NamedTuple)",
                ));
            }
        }
        Ok(LineParser {
            names: Vec::new(),
            next: 0,
            record: record.map(Bound::unbind),
        })
    }

    /// The record of a record line (a ``record`` instance: topic, partition, offset, timestamp,
    /// timestamp_type, key, value, headers), or None when the Python reader must read the line (the
    /// trailer, or anything unexpected).
    fn parse<'py>(&mut self, py: Python<'py>, line: &[u8]) -> Option<Bound<'py, PyTuple>> {
        let mut scan = Scan { line, pos: 0 };
        let mut fields: [Option<Bound<'py, PyAny>>; 8] = Default::default();
        scan.byte(b'{')?;
        loop {
            let key = scan.raw()?;
            let index = KEYS.iter().position(|k| *k == key)?;
            scan.byte(b':')?;
            let value = match index {
                0 => self.name(py, scan.raw()?)?.into_any(),
                1..=4 => scan.int()?.into_pyobject(py).ok()?.into_any(),
                5 | 6 => match scan.raw_or_null()? {
                    None => py.None().into_bound(py),
                    Some(text) => bytes(py, text)?.into_any(),
                },
                _ => self.headers(py, &mut scan)?.into_any(),
            };
            if fields[index].replace(value).is_some() {
                return None; // a key twice (Python keeps the last)
            }
            match scan.peek()? {
                b',' => scan.pos += 1,
                b'}' => break,
                _ => return None,
            }
        }
        scan.pos += 1;
        if scan.peek().is_some() {
            return None; // more after the object
        }
        let mut items = Vec::with_capacity(8);
        for field in fields {
            items.push(field?);
        }
        match &self.record {
            None => PyTuple::new(py, items).ok(),
            Some(record) => instance(py, record.bind(py), items),
        }
    }
}

/// An instance of the tuple class `record` holding `items` (what `tuple.__new__(record, items)` makes).
fn instance<'py>(
    py: Python<'py>,
    record: &Bound<'py, PyType>,
    items: Vec<Bound<'py, PyAny>>,
) -> Option<Bound<'py, PyTuple>> {
    // SAFETY: `record` was checked in `new` to be a tuple class laid out as a tuple with its own
    // allocator; the new object's items are all set before it is handed out (a NULL item is skipped by
    // the collector, should it look at the object meanwhile)
    unsafe {
        let kind = record.as_type_ptr();
        let alloc = (*kind).tp_alloc.unwrap_unchecked();
        let made = alloc(kind, items.len() as pyo3::ffi::Py_ssize_t);
        let made = Bound::from_owned_ptr_or_opt(py, made)?;
        for (index, item) in items.into_iter().enumerate() {
            pyo3::ffi::PyTuple_SET_ITEM(
                made.as_ptr(),
                index as pyo3::ffi::Py_ssize_t,
                item.into_ptr(),
            );
        }
        Some(made.cast_into_unchecked())
    }
}

//! The recording line parser: one JSON record line to the fields of a `ConsumedRecord`.
//!
//! Like the Avro reader it answers "here is the record" or "ask Python" (None), and it is strict: any line
//! that is not exactly the documented record line in its usual form (the trailer, a key beyond the eight
//! of a record line, a corrupt line, a number where a string belongs, a JSON escape, base64 that is not
//! canonical, a null header value, a header of the `[null, value, raw name]` form that keeps a name that is
//! not UTF-8) is handed to the Python reader, which reads it or names what is wrong.
//! So a line it accepts gives the same record the Python reader gives, without copying that reader's
//! leniencies.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use serde::Deserialize;

/// A record line, borrowing its strings from the line: a string with a JSON escape cannot be borrowed and
/// makes the parse fail, so such a (rare) line goes to the Python reader. Base64 never has escapes. Any
/// other key (the trailer's `end` among them) makes it fail too.
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
    key: Option<&'a str>,
    #[serde(borrow, deserialize_with = "Option::deserialize")]
    value: Option<&'a str>,
    #[serde(borrow)]
    headers: Vec<(&'a str, &'a str)>,
}

/// How many distinct topic names and header keys are kept as shared strings (a bound, not a tuning knob:
/// a recording has a few topics and a few header keys, looked up by a linear scan).
const NAMES_KEPT: usize = 64;

/// Parses record lines; keeps topic names and header keys as shared Python strings.
#[pyclass(module = "sigma_native")]
pub struct LineParser {
    names: Vec<(String, Py<PyString>)>,
}

impl LineParser {
    fn name<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if let Some((_, found)) = self.names.iter().find(|(kept, _)| kept == text) {
            return found.bind(py).clone();
        }
        let made = PyString::new(py, text);
        if self.names.len() < NAMES_KEPT {
            self.names.push((text.to_owned(), made.clone().unbind()));
        }
        made
    }
}

/// Strict base64 (padded, canonical) decoded straight into a new bytes object.
fn bytes<'py>(py: Python<'py>, text: &str) -> Option<Bound<'py, PyBytes>> {
    let raw = text.as_bytes();
    if !raw.len().is_multiple_of(4) {
        return None;
    }
    let padding = raw.iter().rev().take(2).take_while(|b| **b == b'=').count();
    let size = raw.len() / 4 * 3 - padding;
    PyBytes::new_with(py, size, |out| match STANDARD.decode_slice(raw, out) {
        Ok(written) if written == size => Ok(()),
        _ => Err(PyValueError::new_err("not base64")),
    })
    .ok()
}

fn optional_bytes<'py>(py: Python<'py>, text: Option<&str>) -> Option<Bound<'py, PyAny>> {
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
            headers
                .append((self.name(py, name), bytes(py, value)?))
                .ok()?;
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

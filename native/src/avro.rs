//! The Avro body reader: one writer schema compiled into a tree of nodes, read into Python values.
//!
//! It answers "here is the value" or "ask fastavro" (None), never an error of its own: the codec asks
//! fastavro whenever this reader declines, so a value is accepted only if fastavro accepts it too, and
//! every error message stays fastavro's. Hence it is strict and every doubt declines: it reads only the
//! canonical encoding the Avro specification describes and leaves fastavro's leniencies to fastavro (a
//! boolean byte other than 0 or 1, an int outside 32 bits, a negative enum or union index, a varint longer
//! than its shortest form or past 64 bits, a block byte size that is not the block's size, a map key twice),
//! as well as invalid UTF-8, a date outside Python's range, a count larger than the bytes left and bytes
//! left after the value. So it keeps no copy of fastavro's quirks, only the specification. Values are built
//! as fastavro builds them: records as dicts, enums as their symbol strings, `date` as `datetime.date`,
//! `timestamp-*` as UTC-aware `datetime.datetime`.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDate, PyDateTime, PyDict, PyList, PyString, PyTzInfo};
use serde_json::{Map, Value};

use crate::constraints::Check;

/// One schema node. Named types (records, enums, fixed) are shared through `Arc`, so a reference to a
/// type defined earlier is a cheap clone.
#[derive(Clone)]
enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    Str,
    Date,
    TimestampMillis,
    TimestampMicros,
    Fixed(usize),
    Enum(Arc<Vec<Py<PyString>>>),
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Vec<Node>),
    Record(Arc<Vec<(Py<PyString>, Node)>>),
    /// A string or number field with constraints that Avro cannot express (`constraints.rs`): a value
    /// breaking one makes the reader decline.
    Checked(Arc<(Node, Check)>),
}

/// Builds nodes from a schema document, keeping the named types seen so far.
struct Compiler<'py> {
    py: Python<'py>,
    named: HashMap<String, Node>,
}

type Compiled = Result<Node, String>;

impl<'py> Compiler<'py> {
    fn compile(&mut self, schema: &Value, namespace: &str) -> Compiled {
        match schema {
            Value::String(name) => self.reference(name, namespace),
            Value::Array(branches) => {
                let nodes: Result<Vec<Node>, String> = branches
                    .iter()
                    .map(|b| self.compile(b, namespace))
                    .collect();
                Ok(Node::Union(nodes?))
            }
            Value::Object(object) => self.complex(object, namespace),
            other => Err(format!("not a schema: {other}")),
        }
    }

    fn reference(&mut self, name: &str, namespace: &str) -> Compiled {
        if let Some(node) = primitive(name) {
            return Ok(node);
        }
        let qualified = if name.contains('.') || namespace.is_empty() {
            name.to_owned()
        } else {
            format!("{namespace}.{name}")
        };
        self.named
            .get(&qualified)
            .or_else(|| self.named.get(name))
            .cloned()
            .ok_or_else(|| format!("unknown type {name}"))
    }

    fn complex(&mut self, object: &Map<String, Value>, namespace: &str) -> Compiled {
        let kind = object.get("type").ok_or("a schema object without a type")?;
        let Value::String(kind) = kind else {
            return self.compile(kind, namespace);
        };
        if let Some(logical) = object.get("logicalType") {
            return match (kind.as_str(), logical.as_str()) {
                ("int", Some("date")) => Ok(Node::Date),
                ("long", Some("timestamp-millis")) => Ok(Node::TimestampMillis),
                ("long", Some("timestamp-micros")) => Ok(Node::TimestampMicros),
                _ => Err(format!("logical type {logical} on {kind} is not supported")),
            };
        }
        match kind.as_str() {
            "record" | "error" | "enum" | "fixed" => {
                let (full, inner) = full_name(object, namespace)?;
                let node = match kind.as_str() {
                    "enum" => self.enumeration(object)?,
                    "fixed" => fixed(object)?,
                    _ => self.record(object, &inner)?,
                };
                self.named.insert(full, node.clone());
                Ok(node)
            }
            "array" => Ok(Node::Array(Box::new(self.compile(
                object.get("items").ok_or("an array without items")?,
                namespace,
            )?))),
            "map" => Ok(Node::Map(Box::new(self.compile(
                object.get("values").ok_or("a map without values")?,
                namespace,
            )?))),
            other => self.reference(other, namespace),
        }
    }

    fn record(&mut self, object: &Map<String, Value>, namespace: &str) -> Compiled {
        let mut out = Vec::new();
        for field in list(object, "fields")? {
            let name = field
                .get("name")
                .and_then(Value::as_str)
                .ok_or("a field without a name")?;
            let schema = field.get("type").ok_or("a field without a type")?;
            out.push((
                PyString::intern(self.py, name).unbind(),
                self.compile(schema, namespace)?,
            ));
        }
        Ok(Node::Record(Arc::new(out)))
    }

    fn enumeration(&mut self, object: &Map<String, Value>) -> Compiled {
        let mut symbols = Vec::new();
        for symbol in list(object, "symbols")? {
            let symbol = symbol.as_str().ok_or("a symbol that is not a string")?;
            symbols.push(PyString::intern(self.py, symbol).unbind());
        }
        Ok(Node::Enum(Arc::new(symbols)))
    }
}

/// `node` (a record field's type) with the constraints of its JSON Schema: `rules` apply to a string or a
/// number, or to the one non-null branch of an `optional` field's union with null.
fn checked(node: &Node, rules: &[Value], optional: bool) -> Compiled {
    match node {
        Node::Union(branches) if optional && branches.len() == 2 => {
            let null = branches
                .iter()
                .position(|b| matches!(b, Node::Null))
                .ok_or("an optional field whose union has no null")?;
            let mut out = branches.clone();
            out[1 - null] = checked(&branches[1 - null], rules, false)?;
            Ok(Node::Union(out))
        }
        Node::Str => Ok(Node::Checked(Arc::new((
            Node::Str,
            Check::compile(rules, true)?,
        )))),
        Node::Int | Node::Long | Node::Float | Node::Double => Ok(Node::Checked(Arc::new((
            node.clone(),
            Check::compile(rules, false)?,
        )))),
        _ => Err("constraints on a field of a type that is not checked natively".to_owned()),
    }
}

/// The root record with the fields named in `checks` (`[{"field", "optional", "rules"}]`) checked.
fn with_checks(py: Python<'_>, root: &Node, checks: &Value) -> Compiled {
    let Node::Record(fields) = root else {
        return Err("constraints on a schema that is not a record".to_owned());
    };
    let mut out: Vec<(Py<PyString>, Node)> = fields
        .iter()
        .map(|(name, node)| (name.clone_ref(py), node.clone()))
        .collect();
    for check in checks.as_array().ok_or("constraints that are not a list")? {
        let field = check
            .get("field")
            .and_then(Value::as_str)
            .ok_or("a check without a field")?;
        let optional = check
            .get("optional")
            .and_then(Value::as_bool)
            .ok_or("a check without optional")?;
        let rules = check
            .get("rules")
            .and_then(Value::as_array)
            .ok_or("a check without rules")?;
        let slot = fields
            .iter()
            .position(|(name, _)| name.bind(py).to_str().is_ok_and(|name| name == field))
            .ok_or_else(|| format!("constraints on {field}, which the schema does not have"))?;
        out[slot].1 = checked(&out[slot].1, rules, optional)?;
    }
    Ok(Node::Record(Arc::new(out)))
}

fn fixed(object: &Map<String, Value>) -> Compiled {
    let size = object
        .get("size")
        .and_then(Value::as_u64)
        .ok_or("a fixed without a size")?;
    Ok(Node::Fixed(
        usize::try_from(size).map_err(|_| "fixed size too large")?,
    ))
}

/// The JSON array under `key` (a record's fields, an enum's symbols).
fn list<'v>(object: &'v Map<String, Value>, key: &str) -> Result<&'v Vec<Value>, String> {
    object
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no {key} list"))
}

fn primitive(name: &str) -> Option<Node> {
    Some(match name {
        "null" => Node::Null,
        "boolean" => Node::Boolean,
        "int" => Node::Int,
        "long" => Node::Long,
        "float" => Node::Float,
        "double" => Node::Double,
        "bytes" => Node::Bytes,
        "string" => Node::Str,
        _ => return None,
    })
}

/// The full name of a named type and the namespace its fields resolve names in.
fn full_name(object: &Map<String, Value>, namespace: &str) -> Result<(String, String), String> {
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a named type without a name")?;
    if let Some((space, _)) = name.rsplit_once('.') {
        return Ok((name.to_owned(), space.to_owned()));
    }
    let space = object
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(namespace);
    let full = if space.is_empty() {
        name.to_owned()
    } else {
        format!("{space}.{name}")
    };
    Ok((full, space.to_owned()))
}

/// A position in the value being read; every read returns None past the end.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// A zig-zag varint in its canonical form only: at most 10 bytes, no bit past the 64th, and no final
    /// byte of zero after the first (a longer way to write a smaller number).
    fn long(&mut self) -> Option<i64> {
        let mut raw: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.pos)?;
            self.pos += 1;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            raw |= bits << shift;
            if byte & 0x80 == 0 {
                return (shift == 0 || bits != 0)
                    .then_some((raw >> 1) as i64 ^ -((raw & 1) as i64));
            }
        }
        None
    }

    /// An Avro int: a canonical varint within 32 bits (fastavro reads any long there).
    fn int(&mut self) -> Option<i64> {
        self.long().filter(|n| i32::try_from(*n).is_ok())
    }

    /// An enum symbol's or union branch's index: a non-negative int below `len`.
    fn index(&mut self, len: usize) -> Option<usize> {
        usize::try_from(self.int()?).ok().filter(|i| *i < len)
    }

    /// A non-negative length no larger than what is left (a longer one cannot be read anyway).
    fn length(&mut self) -> Option<usize> {
        usize::try_from(self.long()?)
            .ok()
            .filter(|n| *n <= self.remaining())
    }
}

/// Reads array or map blocks up to the empty one that ends them, calling `item` once per item. A block with
/// a negative count gives its byte size next, which must be the size of its items. Declines a count larger
/// than the bytes left, so a corrupt count cannot make it allocate.
fn blocks(c: &mut Cursor, mut item: impl FnMut(&mut Cursor) -> Option<()>) -> Option<()> {
    loop {
        let count = c.long()?;
        if count == 0 {
            return Some(());
        }
        let size = if count < 0 { Some(c.length()?) } else { None };
        let count = usize::try_from(count.checked_abs()?)
            .ok()
            .filter(|n| *n <= c.remaining())?;
        let start = c.pos;
        for _ in 0..count {
            item(c)?;
        }
        if size.is_some_and(|size| c.pos - start != size) {
            return None;
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A Python string of UTF-8 `raw`; None when it is not valid UTF-8 (Python's decoder checks it, strictly,
/// as Rust's `from_utf8` would: surrogates and overlong forms are errors).
fn string<'py>(py: Python<'py>, raw: &[u8]) -> Option<Bound<'py, PyAny>> {
    // SAFETY: a pointer and length of a live slice; a NULL result (with its error) is taken back below
    let made = unsafe {
        pyo3::ffi::PyUnicode_DecodeUTF8(
            raw.as_ptr().cast(),
            isize::try_from(raw.len()).ok()?,
            c"strict".as_ptr(),
        )
    };
    // SAFETY: a new reference or NULL, owned here
    let made = unsafe { Bound::from_owned_ptr_or_opt(py, made) };
    if made.is_none() {
        PyErr::take(py); // the UnicodeDecodeError: declining says it
    }
    made
}

/// Reads values of one compiled schema.
#[pyclass(frozen, module = "sigma_native")]
pub struct AvroReader {
    root: Node,
    utc: Py<PyTzInfo>,
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

impl AvroReader {
    fn value<'py>(
        &self,
        py: Python<'py>,
        node: &Node,
        c: &mut Cursor,
    ) -> Option<Bound<'py, PyAny>> {
        Some(match node {
            Node::Null => py.None().into_bound(py),
            Node::Boolean => {
                let value = match c.take(1)?[0] {
                    0 => false,
                    1 => true,
                    _ => return None,
                };
                value.into_pyobject(py).ok()?.to_owned().into_any()
            }
            Node::Int => c.int()?.into_pyobject(py).ok()?.into_any(),
            Node::Long => c.long()?.into_pyobject(py).ok()?.into_any(),
            Node::Float => {
                let raw: [u8; 4] = c.take(4)?.try_into().ok()?;
                f64::from(f32::from_le_bytes(raw))
                    .into_pyobject(py)
                    .ok()?
                    .into_any()
            }
            Node::Double => {
                let raw: [u8; 8] = c.take(8)?.try_into().ok()?;
                f64::from_le_bytes(raw).into_pyobject(py).ok()?.into_any()
            }
            Node::Bytes => {
                let n = c.length()?;
                PyBytes::new(py, c.take(n)?).into_any()
            }
            Node::Str => {
                let n = c.length()?;
                string(py, c.take(n)?)?
            }
            Node::Fixed(n) => PyBytes::new(py, c.take(*n)?).into_any(),
            Node::Enum(symbols) => symbols[c.index(symbols.len())?].bind(py).clone().into_any(),
            Node::Union(branches) => return self.value(py, &branches[c.index(branches.len())?], c),
            Node::Array(items) => {
                let list = PyList::empty(py);
                blocks(c, |c| list.append(self.value(py, items, c)?).ok())?;
                list.into_any()
            }
            Node::Map(values) => {
                let dict = PyDict::new(py);
                blocks(c, |c| {
                    let n = c.length()?;
                    let key = std::str::from_utf8(c.take(n)?).ok()?;
                    if dict.contains(key).ok()? {
                        return None;
                    }
                    dict.set_item(key, self.value(py, values, c)?).ok()
                })?;
                dict.into_any()
            }
            Node::Record(fields) => {
                // sized for its fields at once (a dict grown one field at a time is rebuilt twice on the way)
                // SAFETY: a new dict or NULL (the allocation failed: the error is taken back, the reader declines)
                let dict = unsafe {
                    let made =
                        pyo3::ffi::_PyDict_NewPresized(fields.len() as pyo3::ffi::Py_ssize_t);
                    Bound::from_owned_ptr_or_opt(py, made)
                        .or_else(|| {
                            PyErr::take(py);
                            None
                        })?
                        .cast_into_unchecked::<PyDict>()
                };
                for (name, field) in fields.iter() {
                    dict.set_item(name.bind(py), self.value(py, field, c)?)
                        .ok()?;
                }
                dict.into_any()
            }
            Node::Date => {
                // within Python's date range (0001-01-01 to 9999-12-31) before any arithmetic on it
                let days = c.int()?;
                if !(-719_162..=2_932_896).contains(&days) {
                    return None;
                }
                let (year, month, day) = civil(days);
                PyDate::new(py, year as i32, month, day).ok()?.into_any()
            }
            Node::TimestampMillis => self.timestamp(py, c.long()?.checked_mul(1000)?)?,
            Node::TimestampMicros => self.timestamp(py, c.long()?)?,
            Node::Checked(checked) => {
                let (node, check) = &**checked;
                match node {
                    Node::Str => {
                        let n = c.length()?;
                        let raw = c.take(n)?;
                        check.keeps_str(raw).then_some(())?;
                        string(py, raw)?
                    }
                    Node::Int | Node::Long => {
                        let n = if matches!(node, Node::Int) {
                            c.int()?
                        } else {
                            c.long()?
                        };
                        check.keeps_int(n).then_some(())?;
                        n.into_pyobject(py).ok()?.into_any()
                    }
                    Node::Float | Node::Double => {
                        let x = if matches!(node, Node::Float) {
                            f64::from(f32::from_le_bytes(c.take(4)?.try_into().ok()?))
                        } else {
                            f64::from_le_bytes(c.take(8)?.try_into().ok()?)
                        };
                        check.keeps_float(x).then_some(())?;
                        x.into_pyobject(py).ok()?.into_any()
                    }
                    _ => return None,
                }
            }
        })
    }

    fn timestamp<'py>(&self, py: Python<'py>, micros: i64) -> Option<Bound<'py, PyAny>> {
        let (year, month, day) = civil(micros.div_euclid(MICROS_PER_DAY));
        if !(1..=9999).contains(&year) {
            return None;
        }
        let rest = micros.rem_euclid(MICROS_PER_DAY);
        let seconds = rest / 1_000_000;
        let utc = self.utc.bind(py);
        PyDateTime::new(
            py,
            year as i32,
            month,
            day,
            (seconds / 3600) as u8,
            (seconds / 60 % 60) as u8,
            (seconds % 60) as u8,
            (rest % 1_000_000) as u32,
            Some(utc),
        )
        .ok()
        .map(Bound::into_any)
    }
}

#[pymethods]
impl AvroReader {
    /// Compiles `schema` (an Avro schema as JSON text) and the constraints `checks` of its record's fields
    /// (JSON text, `[{"field", "optional", "rules": [[keyword, value], ...]}]`, as `schemas.constraints`
    /// gives them); ValueError for a type or a constraint this reader does not check.
    #[new]
    #[pyo3(signature = (schema, checks=None, /))]
    fn new(py: Python<'_>, schema: &str, checks: Option<&str>) -> PyResult<Self> {
        let document: Value = serde_json::from_str(schema)
            .map_err(|e| PyValueError::new_err(format!("schema is not JSON: {e}")))?;
        let mut compiler = Compiler {
            py,
            named: HashMap::new(),
        };
        let mut root = compiler
            .compile(&document, "")
            .map_err(PyValueError::new_err)?;
        if let Some(checks) = checks {
            let checks: Value = serde_json::from_str(checks)
                .map_err(|e| PyValueError::new_err(format!("constraints are not JSON: {e}")))?;
            root = with_checks(py, &root, &checks).map_err(PyValueError::new_err)?;
        }
        let utc = py
            .import("datetime")?
            .getattr("timezone")?
            .getattr("utc")?
            .cast_into::<PyTzInfo>()?
            .unbind();
        Ok(AvroReader { root, utc })
    }

    /// The value in `value[offset:]`, or None when it is not exactly one valid value (ask fastavro).
    fn read<'py>(&self, py: Python<'py>, value: &[u8], offset: usize) -> Option<Bound<'py, PyAny>> {
        let mut cursor = Cursor {
            buf: value.get(offset..)?,
            pos: 0,
        };
        let out = self.value(py, &self.root, &mut cursor)?;
        (cursor.remaining() == 0).then_some(out)
    }
}

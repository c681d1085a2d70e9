"""The recording format: lossless round trip and a clear error for every kind of bad file."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers import recording
from consumers.recording import RecordingError, RecordingWriter, read_manifest, read_recording
from consumers.records import ConsumedRecord
from runtime.poison import RawHeaderKey

RECORDS = [
    ConsumedRecord("t", 0, 0, 1_700_000_000_000, 0, b"\x00\xff key", b"\x80\x81 binary",
                   [("h", b"1"), ("h", b"2"), ("empty", b"")]),
    ConsumedRecord("t", 1, 7, 1_700_000_000_001, 1, None, None, []),
    ConsumedRecord("u", 0, 3, 1_700_000_000_002, 0, b"", b"", [("x", b"\xfe")]),
]


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz", "r.jsonl.zst"])
def test_round_trip_is_lossless(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with RecordingWriter(path, {"cluster": "c", "topics": {"t": 2, "u": 1}}) as writer:
        for record in RECORDS:
            writer.write(record)
    assert list(read_recording(path)) == RECORDS
    assert read_manifest(path)["topics"] == {"t": 2, "u": 1}


def test_a_header_key_that_is_not_utf8_keeps_its_bytes(tmp_path: Path) -> None:
    """``runtime.poison`` lets a record with such a key through; the recording stores the key's bytes in base64
    and reads it back as a key the producer encodes to exactly those bytes (a replay sends what was recorded)."""
    raw = RawHeaderKey(b"\xff\xfeorigin".decode("utf-8", "surrogateescape"))
    record = ConsumedRecord("t", 0, 0, 1, 0, b"k", b"v", [("a", b"1"), (raw, b"x"), (raw, b"")])
    path = tmp_path / "r.jsonl"
    with RecordingWriter(path, {"topics": {"t": 1}}) as writer:
        writer.write(record)
    assert '[null,"eA==","//5vcmlnaW4="]' in path.read_text()
    [back] = read_recording(path)
    assert back == record
    assert [(type(k), k.encode()) for k, _ in back.headers] == [(str, b"a"), (RawHeaderKey, b"\xff\xfeorigin"),
                                                                  (RawHeaderKey, b"\xff\xfeorigin")]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "r.jsonl"
    with RecordingWriter(path, {"cluster": "c"}) as writer:
        for record in RECORDS:
            writer.write(record)
    return path


def test_truncated_file_names_the_problem(tmp_path: Path) -> None:
    path = _write(tmp_path)
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(RecordingError, match=r"r.jsonl:4: truncated: no trailer after 3 records"):
        list(read_recording(path))


def test_corrupt_line_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = '{"topic": "t", "partition": 1\n'
    path.write_text("".join(lines))
    with pytest.raises(RecordingError, match=r"r.jsonl:3: corrupt record line"):
        list(read_recording(path))


def test_unknown_format_version(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"format": "sigma-recording", "version": 99}\n')
    with pytest.raises(RecordingError, match=r"r.jsonl:1: unknown recording format version 99"):
        list(read_recording(path))


def test_not_a_recording_and_corrupt_compression(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("hello\n")
    with pytest.raises(RecordingError, match="not a sigma recording"):
        list(read_recording(path))
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"format": "sigma-recording", "version": 1}\n' * 100)[:40])
    with pytest.raises(RecordingError, match="corrupt or truncated compressed data"):
        list(read_recording(gz))


def test_str_paths_and_default_manifest_fields(tmp_path: Path) -> None:
    path = str(tmp_path / "r.jsonl")
    with RecordingWriter(path, {"cluster": "c", "format": "other", "version": 9}) as writer:
        writer.write(RECORDS[0])
    manifest = read_manifest(path)
    assert (manifest["format"], manifest["version"], manifest["cluster"]) == ("sigma-recording", 1, "c")
    assert manifest["tool"].startswith("sigma ") and manifest["created_at"]
    assert list(read_recording(path)) == RECORDS[:1]


def test_a_capture_that_failed_half_way_reads_as_truncated(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with pytest.raises(RuntimeError), RecordingWriter(path, {}) as writer:
        writer.write(RECORDS[0])
        raise RuntimeError("broker went away")
    with pytest.raises(RecordingError, match=r"r.jsonl:2: truncated: no trailer after 1 records"):
        list(read_recording(path))


@pytest.mark.parametrize(("edit", "message"), [
    (lambda lines: [*lines[:-1], '{"end": true, "records": 7}\n'], r"r.jsonl:5: trailer says 7 records, file holds 3"),
    (lambda lines: [*lines, lines[1]], r"r.jsonl:6: data after the trailer"),
    (lambda lines: [lines[0], lines[1].replace('"key":"', '"key":"!'), *lines[2:]], r"r.jsonl:2: corrupt record line"),
    (lambda lines: [lines[0], "[1, 2]\n", *lines[2:]], r"r.jsonl:2: corrupt record line"),
    (lambda lines: [lines[0], "42\n", *lines[2:]], r"r.jsonl:2: corrupt record line"),
    (lambda lines: [lines[0], lines[1].replace('["h","MQ=="]', '["h","MQ==","MQ=="]'), *lines[2:]],
     r"r.jsonl:2: corrupt record line"),
])
def test_every_bad_line_is_named(tmp_path: Path, edit: Any, message: str) -> None:
    path = _write(tmp_path)
    path.write_text("".join(edit(path.read_text().splitlines(keepends=True))))
    with pytest.raises(RecordingError, match=message):
        list(read_recording(path))


@pytest.mark.parametrize("name", ["r.jsonl.zst", "r.jsonl.gz"])
def test_cut_off_compressed_file_names_a_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with RecordingWriter(path, {}) as writer:
        for i in range(5000):
            writer.write(ConsumedRecord("t", 0, i, i, 0, str(i).encode() * 20, None, []))
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(RecordingError, match=rf"{name}:\d+: (corrupt|truncated)") as info:
        list(read_recording(path))
    assert int(info.value.message.split(":")[1]) > 1


_AT = b'"topic":"t","partition":1,"offset":2,"timestamp":3,"timestamp_type":0'
"""The usual head of a record line; the lines below vary the rest."""


def _plain(**texts: bytes) -> bytes:
    """A record line without key, value and headers whose fields' JSON texts are ``texts`` where given."""
    fields = {"topic": b'"t"', "partition": b"1", "offset": b"2", "timestamp": b"3", "timestamp_type": b"0",
              "key": b"null", "value": b"null", "headers": b"[]"} | texts
    return b"{" + b",".join(b'"%s":%s' % (name.encode(), text) for name, text in fields.items()) + b"}"

UNUSUAL_LINES = [  # (line, whether the native parser takes it)
    (b'{' + _AT + b',"key":null,"value":"YQ==","headers":[["h",""],["h","Yg=="],["i","YWI="]]}', True),
    (b'{"headers":[],"value":null,"key":"","timestamp_type":1,"timestamp":-1,"offset":0,"partition":0,"topic":"t"}',
     True),
    (b'{' + _AT + b',"key":null,"value":"YQ==","headers":[["h",null]]}', False),  # Python reads b"" for null
    (b'{' + _AT + b',"key":null,"value":null,"headers":[],"extra":{"ignored":[1,2]}}', False),  # Python ignores it
    (b'{' + _AT + b',"key":"YR==","value":null,"headers":[]}', False),  # bits Python's base64 ignores
    (b'{' + _AT + b',"value":null,"headers":[]}', False),  # no key: corrupt
    (b'{' + _AT + b',"key":null,"headers":[]}', False),  # no value: corrupt
    (_plain(topic=b'"t\\u00e9\\n"'), False),  # an escaped string: left to Python
    (_plain(partition=b"1.0"), False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[],"end":null}', False),
    (b'{"topic":"u",' + _AT + b',"key":null,"value":null,"headers":[]}', False),
    (b'{' + _AT + b',"key":"YQ=","value":null,"headers":[]}', False),
    (b'{' + _AT + b',"key":"YWI=","value":null,"headers":[]}', True),
    (b'{' + _AT + b',"key":"YWJ=","value":null,"headers":[]}', False),  # bits Python's base64 ignores
    (b'{' + _AT + b',"key":"Y===","value":null,"headers":[]}', False),
    (b'{' + _AT + b',"key":"YQ==YQ==","value":null,"headers":[]}', False),  # padding inside
    (b'{' + _AT + b',"key":"YQ\\u003d=","value":null,"headers":[]}', False),  # an escape: left to Python
    (b'{' + _AT + b',"key":"YQ\xc3\xa9=","value":null,"headers":[]}', False),  # not base64 (nor ASCII)
    (b'{' + _AT + b',"key":[89, 81],"value":null,"headers":[]}', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[["h\xff","YQ=="]]}', False),  # a name not UTF-8
    (b'{' + _AT + b',"key":"Y Q==","value":null,"headers":[]}', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[["h"]]}', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[["h","YQ=="],[null,"YQ==","//4="]]}', False),  # raw key
    (b'{' + _AT + b',"key":null,"value":null,"headers":[["h","YQ==","//4="]]}', False),  # a name and a raw key
    (b'{' + _AT + b',"key":null,"value":null,"headers":[]} x', False),
    (_plain(partition=b"99999999999999999999"), False),
    (b'{"end": true, "records": 3}', False),
    (b'[1, 2]', False),
    (b'["t", 1, 2, 3, 0, null, null, []]', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[],"key":null}', False),  # a key twice: Python keeps the last
    (_plain(partition=b"-0", timestamp=b"-3"), True),
    (_plain(partition=b"01"), False),  # not JSON
    (_plain(partition=b"1e0"), False),  # a float to Python
    (_plain(partition=b"-9223372036854775808", offset=b"9223372036854775807"), True),
    (_plain(partition=b"9223372036854775808"), False),
    (_plain(topic=b'"t\x01"'), False),  # a raw control character: not JSON
    (_plain(key=b"nul"), False),
    (b' { "topic" : "t" , "partition" : 1 , "offset" : 2 , "timestamp" : 3 , "timestamp_type" : 0 , '
     b'"key" : "YQ==" , "value" : null , "headers" : [ [ "h" , "YQ==" ] , [ "i" , "" ] ] } \r', True),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[,]}', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[["h","YQ=="],]}', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[["h","YQ==",]]}', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[]', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":[]},', False),
    (b'{' + _AT + b',"key":null,"value":null,"headers":{}}', False),
]


@pytest.mark.native
@pytest.mark.parametrize(("line", "taken"), UNUSUAL_LINES, ids=range(len(UNUSUAL_LINES)))
def test_native_line_parser_takes_a_line_only_as_the_python_reader_reads_it(line: bytes, taken: bool) -> None:
    """The native parser either declines a line (None: Python reads it or names the error) or gives exactly
    the fields the Python reader gives; so a recording reads the same with or without it. It is strict: it
    takes the usual record line and declines what only the Python reader's leniency reads."""
    ours, python = _both(recording.LineParser(ConsumedRecord), line)
    assert (ours is not None) == taken
    assert ours is None or (ours == python and type(ours) is ConsumedRecord)


_JSON_TEXT = st.text(alphabet=st.sampled_from("ab_-.é\"\\\x01/ "), max_size=6)
_BASE64 = st.one_of(st.binary(max_size=9).map(lambda b: base64.b64encode(b).decode()),
                    st.text(alphabet="AQYa=+/ \\", max_size=8))
_NUMBER = st.one_of(st.integers(-(2**64), 2**64), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(["01", "-", "1e3", "1.", "--1", "+1"]))
_SPACE = st.sampled_from(["", " ", "\t", "\r\n ", "  "])


@st.composite
def _record_lines(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A record line as JSON with any whitespace and key order, and now and then something unusual (a key
    missing, twice or unknown, an escape, a number that is not a plain integer, base64 that is not canonical,
    a control character); and whether it is the usual form, which the native parser must take."""
    def text(value: Any) -> str:  # JSON text of a value, as json.dumps writes it or with non-ASCII kept
        return json.dumps(value, ensure_ascii=draw(st.booleans()))

    def raw_number(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    topic = draw(st.one_of(st.just("chain.case"), _JSON_TEXT))
    canonical = st.binary(max_size=9).map(lambda b: base64.b64encode(b).decode())
    odd = draw(st.integers(0, 3))  # which of the many parts may be unusual
    plain = st.integers(-(2**63), 2**63 - 1)
    numbers = [draw(st.one_of(plain, _NUMBER) if odd == 0 else plain) for _ in range(4)]
    base = _BASE64 if odd == 1 else canonical
    key, value = draw(st.one_of(st.none(), base)), draw(st.one_of(st.none(), base))
    headers = draw(st.lists(st.tuples(st.one_of(st.just("ce_id"), _JSON_TEXT if odd == 2 else st.just("h")), base),
                            max_size=3))
    sp = lambda: draw(_SPACE)  # noqa: E731
    entries = [("topic", text(topic)), *zip(["partition", "offset", "timestamp", "timestamp_type"],
                                            map(raw_number, numbers), strict=True),
               ("key", text(key)), ("value", text(value)),
               ("headers", "[" + ",".join(f"{sp()}[{sp()}{text(n)}{sp()},{sp()}{text(v)}{sp()}]{sp()}"
                                           for n, v in headers) + sp() + "]")]
    entries = draw(st.permutations(entries))
    unusual = draw(st.sampled_from(["", "", "", "drop", "twice", "extra"]))
    if unusual == "drop":
        entries = entries[1:]
    elif unusual == "twice":
        entries = [*entries, entries[0]]
    elif unusual == "extra":
        entries = [*entries, ("extra", "1")]
    line = "{" + ",".join(f"{sp()}{json.dumps(k)}{sp()}:{sp()}{v}{sp()}" for k, v in entries) + "}" + sp()
    usual = not unusual and "\\" not in line and all(isinstance(n, int) and -(2**63) <= n < 2**63 for n in numbers) \
        and all(_canonical(b) for b in [key, value, *(v for _, v in headers)] if b is not None) \
        and all(not any(c in t for c in "\"\\\x01") for t in [topic, *(n for n, _ in headers)])
    return line.encode(), usual


@pytest.mark.native
@settings(max_examples=1500, deadline=None)
@given(_record_lines())
def test_native_line_parser_reads_any_json_layout_as_python_or_declines(case: tuple[bytes, bool]) -> None:
    """Whitespace anywhere, keys in any order: the usual line is taken and read as the Python reader reads
    it; anything unusual (a key missing, twice or unknown, an escape, a float, a number past 64 bits, base64
    that is not canonical, a raw control character) is declined or read exactly as Python reads it."""
    line, usual = case
    ours, python = _both(recording.LineParser(ConsumedRecord), line)
    assert ours is None or ours == python
    if usual:
        assert ours is not None and ours == python


@pytest.mark.native
def test_native_line_parser_makes_records_only_of_a_plain_tuple_class() -> None:
    class Extra(tuple):  # type: ignore[type-arg]
        pass

    with pytest.raises(ValueError, match="tuple class"):
        recording.LineParser(Extra)
    with pytest.raises(ValueError, match="tuple class"):
        recording.LineParser(list)
    assert recording.LineParser().parse(b'{' + _AT + b',"key":null,"value":null,"headers":[]}').__class__ is tuple


def _both(parser: Any, line: bytes) -> tuple[Any, Any]:
    """What the native parser and the Python reader make of ``line`` (None: declined, or an error)."""
    ours = parser.parse(line + b"\n")
    try:
        python: Any = recording._python_line(Path("r.jsonl"), 2, line + b"\n")[0]
    except RecordingError:
        python = None
    return ours, python


_BASE64ISH = st.text(alphabet="ABCYZabyz019+/=-_ \u00e9", max_size=12)
"""Base64 texts of every kind: canonical, wrong length, padding anywhere, other alphabets, non-ASCII."""


@pytest.mark.native
@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40), st.lists(st.one_of(st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode()),
                                                  _BASE64ISH), max_size=4))
def test_native_line_parser_takes_canonical_base64_and_gives_pythons_bytes(value: bytes, texts: list[str]) -> None:
    """Any bytes, and any text where base64 belongs: the native parser takes canonical base64 and gives the
    Python reader's bytes, and declines whatever else (Python then reads it or names the error)."""
    encoded = base64.b64encode(value).decode()
    headers = ",".join(f'["h{i}","{text}"]' for i, text in enumerate(texts))
    line = ('{"topic":"t","partition":1,"offset":2,"timestamp":3,"timestamp_type":0,'
            f'"key":"{encoded}","value":"{texts[0] if texts else encoded}","headers":[{headers}]}}').encode()
    ours, python = _both(recording.LineParser(), line)
    assert ours is None or ours == python
    if all(_canonical(text) for text in texts):
        assert ours == python


def _canonical(text: str) -> bool:
    """Whether ``text`` is base64 exactly as ``b64encode`` writes it (padded, no bits left over)."""
    try:
        return base64.b64encode(base64.b64decode(text, validate=True)).decode() == text
    except ValueError:
        return False


@pytest.mark.native
def test_native_line_parser_shares_repeated_header_values_and_decodes_varying_ones() -> None:
    """One parser over many lines (as over a recording): a header with few values (``content-type``) and one
    with a new value every line (``ce_id``, past the point where the parser stops keeping its values) read
    exactly as the Python reader reads them, line after line."""
    parser = recording.LineParser()
    for i in range(600):
        kind = base64.b64encode(b"application/" + (b"avro", b"json")[i % 2]).decode()
        event = base64.b64encode(f"event-{i}".encode()).decode()
        line = ('{"topic":"t","partition":1,"offset":2,"timestamp":3,"timestamp_type":0,"key":null,"value":null,'
                f'"headers":[["ce_id","{event}"],["content-type","{kind}"]]}}').encode()
        ours, python = _both(parser, line)
        assert ours == python
        assert ours[7] == [("ce_id", f"event-{i}".encode()), ("content-type", base64.b64decode(kind))]

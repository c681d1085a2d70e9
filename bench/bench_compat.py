"""Time a transitive catalogue check of 50 subjects x 20 versions (target: under 2 seconds).

Baseline in the same run: the time to parse and hash every file once (the floor any checker pays).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tempfile
import time
from pathlib import Path

from schemas.compat.catalogue_check import check


def _version(n: int) -> tuple[dict[str, object], dict[str, object]]:
    """Version n: n fields, each added optional (compatible under every level)."""
    avro = {"type": "record", "name": "Subject", "namespace": "bench",
            "fields": [{"name": "id", "type": "string"}]
            + [{"name": f"f{i}", "type": ["null", "long"], "default": None} for i in range(n)]}
    js = {"type": "object", "properties": {"id": {"type": "string"}, **{f"f{i}": {"type": ["integer", "null"]}
                                                                      for i in range(n)}},
          "required": ["id"], "additionalProperties": False}
    return avro, js


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="same size (the check is fast)")
    parser.parse_args()
    subjects, versions = 50, 20
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "schemas").mkdir()
        (root / "schemas/compat.toml").write_text('default_level = "BACKWARD_TRANSITIVE"\n')
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        before = root / "before"
        for s in range(subjects):
            for v in range(1, versions + 1):
                avro, js = _version(v)
                for kind, ext, doc in (("avro", "avsc", avro), ("jsonschema", "json", js)):
                    path = root / f"schemas/{kind}/s{s:02d}/v{v}.{ext}"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps(doc, indent=2))
        before.mkdir()
        (before / "schemas").mkdir()
        started = time.perf_counter()
        for path in (root / "schemas").glob("*/*/*.*"):
            hashlib.sha256(json.dumps(json.loads(path.read_text())).encode()).hexdigest()
        floor = time.perf_counter() - started
        started = time.perf_counter()
        result = check(root, str(before))
        seconds = time.perf_counter() - started
    pairs = result.checked
    print(f"{subjects} subjects x {versions} versions x 2 formats, BACKWARD_TRANSITIVE: {pairs:,} version pairs")
    print(f"parse-and-hash floor: {floor:.2f} s")
    print(f"sigma schemas check: {seconds:.2f} s ({seconds / floor:.1f}x the floor; target < 2 s) "
          f"{'compatible' if result.compatible else 'INCOMPATIBLE'}")


if __name__ == "__main__":
    main()

"""Write the JSON Schema of every record to src/unspun/schemas/ (run by `make schemas`)."""

from __future__ import annotations

import json
from pathlib import Path

from unspun.records import RECORD_TYPES, json_schema

out = Path(__file__).resolve().parents[1] / "src/unspun/schemas"
for cls in RECORD_TYPES:
    path = out / f"{cls.__name__}.schema.json"
    path.write_text(json.dumps(json_schema(cls), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(path)

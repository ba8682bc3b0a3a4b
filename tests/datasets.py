"""Public data sets (../shared/datasets) converted to incident records, for realistic tests.

The conversions are deliberately plain so that tests can compare what reporter computes
with counts taken straight from the raw files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
KEV = SHARED / "kev" / "known_exploited_vulnerabilities.json"
ATLAS = SHARED / "atlas" / "ATLAS.yaml"


def slug(text: str) -> str:
    """A category slug from free text: 'Microsoft Windows' → 'microsoft-windows'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "unknown"


def kev_records(path: Path = KEV, *, due_dates: bool = True) -> list[dict[str, Any]]:
    """Each KEV entry as an incident: active from the date it was added until its due date.

    With ``due_dates=False`` the window is open-ended (for tests about periods, not windows).
    """
    records = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["vulnerabilities"]:
        records.append({
            "id": entry["cveID"].lower(),
            "title": entry["vulnerabilityName"],
            "category": slug(entry["vendorProject"]),
            "status": "confirmed",
            "sensitivity": "public",
            "summary": entry["shortDescription"],
            "window": {"start": entry["dateAdded"], "end": entry["dueDate"] if due_dates else None},
            "timeline": {"reported": entry["dateAdded"]},
            "targets": [entry["product"]],
        })
    return records


_GRANULARITY = {"YEAR": 4, "MONTH": 7, "DATE": 10}


def atlas_records(path: Path = ATLAS) -> list[dict[str, Any]]:
    """Each ATLAS case study as an incident, its date only as precise as ATLAS states it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    records = []
    for case in data["case-studies"]:
        date = str(case["incident-date"])[: _GRANULARITY[case["incident-date-granularity"]]]
        techniques = sorted({step["technique"] for step in case.get("procedure", [])
                             if re.match(r"^AML\.T\d{4}(\.\d{3})?$", step["technique"])})
        records.append({
            "id": case["id"].lower().replace(".", "-"),
            "title": " ".join(case["name"].split()),
            "category": slug(case.get("case-study-type", "unknown")),
            "status": "closed",
            "sensitivity": "public",
            "window": {"start": date, "end": date},
            "techniques": techniques,
        })
    return records

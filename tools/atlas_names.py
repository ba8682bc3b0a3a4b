"""Write reporter/data/atlas.json, the names of the MITRE ATLAS techniques, from the ATLAS data.

    .venv/bin/python tools/atlas_names.py [../shared/datasets/atlas/ATLAS.yaml]

Letters name each technique a record cites ("Extract AI Model (AML.T0024.002)"), offline: the
names travel with the package, with ATLAS's licence beside them (reporter/data/ATLAS-LICENSE).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main(source: Path) -> None:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    names = {t["id"]: " ".join(t["name"].split()) for matrix in data["matrices"] for t in matrix["techniques"]}
    release = (source.parent / "SOURCE.txt").read_text(encoding="utf-8").split("\n")[0].strip()
    out = ROOT / "reporter" / "data" / "atlas.json"
    out.write_text(json.dumps({"source": f"MITRE ATLAS {data.get('version', '')} ({release})",
                               "licence": "Apache-2.0, see ATLAS-LICENSE", "techniques": dict(sorted(names.items()))},
                              indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.copyfile(source.parent / "LICENSE", out.parent / "ATLAS-LICENSE")
    print(f"{out.relative_to(ROOT)}: {len(names)} techniques")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "datasets" / "atlas" / "ATLAS.yaml")

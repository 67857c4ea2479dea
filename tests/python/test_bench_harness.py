"""The benchmark harness (bench/run.py) runs end to end and writes well-formed
results.  Runs ``bench/run.py --check`` (= --quick on small slices, or on the
sample shipped in python/bale/data when ../shared/data is absent) into a
temporary folder.  No timing is asserted: CI machines are noisy."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "bench" / "run.py"

pytest.importorskip("numpy", reason="the benchmark harness needs numpy (pip install 'bale[bench]')")


@pytest.mark.skipif(not RUN.exists(), reason="bench/run.py not in this tree")
@pytest.mark.skipif(os.environ.get("BALE_SKIP_BENCH") == "1", reason="BALE_SKIP_BENCH=1")
def test_bench_check_mode(tmp_path):
    r = subprocess.run([sys.executable, str(RUN), "--check", "--out", str(tmp_path), "--name", "ci"],
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    doc = json.loads((tmp_path / "ci.json").read_text())
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import report
    finally:
        sys.path.pop(0)
    assert report.validate(doc) == []
    assert doc["quick"] is True
    assert doc["machine"]["python"]
    ran = [c for c in doc["cases"] if c.get("ok")]
    assert ran, "no benchmark case ran"
    # every case either ran or was skipped for a stated reason (a missing optional package / type)
    for c in doc["cases"]:
        assert c.get("ok") or c.get("skipped"), c
    md = (tmp_path / "ci.md").read_text()
    assert "## Targets" in md

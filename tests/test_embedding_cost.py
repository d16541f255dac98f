"""benchmarks/embedding_cost.py on tiny sizes: it writes its CSV and plot, and its memory count is exact."""

import csv
import importlib.util

from helpers import ROOT


def load_benchmark():
    spec = importlib.util.spec_from_file_location("embedding_cost", ROOT / "benchmarks" / "embedding_cost.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_embedding_cost_smoke(tmp_path):
    bench = load_benchmark()
    out_csv, out_png = tmp_path / "cost.csv", tmp_path / "cost.png"
    args = ["--vocab-sizes", "27,300", "--batch-size", "8", "--block-size", "3", "--n-embd", "4", "--repeats", "2"]
    rows = bench.main([*args, "--csv", str(out_csv), "--png", str(out_png)])
    assert [(r["module"], r["vocab_size"]) for r in rows] == [
        ("lookup", 27),
        ("onehot", 27),
        ("lookup", 300),
        ("onehot", 300),
    ]
    # the profiler's peak is the analytic count, byte for byte: 5 * N * V for the one-hot (bool + float32
    # matrices side by side), output + dense table gradient for the lookup
    assert all(r["peak_bytes"] == r["analytic_bytes"] for r in rows)
    assert rows[3]["peak_bytes"] == 5 * 8 * 3 * 300
    assert all(r["ms"] > 0 for r in rows)
    with open(out_csv) as f:
        assert [r["module"] for r in csv.DictReader(f)] == ["lookup", "onehot", "lookup", "onehot"]
    assert out_png.read_bytes()[:4] == b"\x89PNG"

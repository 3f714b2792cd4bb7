"""The scale benchmark end to end on a small corpus, so the script keeps working (its figures
are the script's business; here only that every step runs and the planted facts are found)."""

from __future__ import annotations

import re

import pytest

from evals import bench_scale

pytestmark = pytest.mark.slow


def test_scale_bench_runs_end_to_end_on_a_small_corpus(tmp_path, capsys, models_dir):
    work = tmp_path / "work"
    (work / "data-big").mkdir(parents=True)
    (work / "data-seed").mkdir()
    for data in ("data-big", "data-seed"):  # the converted model, not converted again
        (work / data / "models").symlink_to(models_dir, target_is_directory=True)
    bench_scale.main(["--chunks", "400", "--work", str(work), "--questions", "6"])
    out = capsys.readouterr().out
    corpus_files = len(list((work / "corpus" / "synthetic").iterdir()))
    assert corpus_files == 10  # two variants of each of the five seeds
    assert re.search(r"ingest: \d+ chunks added .* chunks/s", out)
    # 160 chunks: the five seeds as the pipeline splits them (a change of the splitting shows).
    assert re.search(r"^seed\s+160\s", out, re.M) and re.search(r"^big\s+\d{3}\s", out, re.M)
    assert "p95 ratio big/seed" in out and "RSS" in out
    ranks = re.findall(r"^\S+?\s+(\d+|>10)\s+(yes|no)$", out, re.M)
    assert len(ranks) == len(bench_scale.PLANTED)
    # Found in the top 10 (the benchmark's own target, rank <= 5 at 100k, is its figure to print).
    assert all(rank != ">10" for rank, _ in ranks), out

"""A short run of the load test: a real Chroma server, two stateless replicas, concurrent users."""

from __future__ import annotations

import pytest

from evals.load_test import run

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_replicas_serve_concurrent_users_and_see_each_others_documents() -> None:
    report = run(users=4, questions=3, replicas=2, freshness_timeout=60)
    assert report.errors == []
    assert report.asks == 12
    assert "失败 0 个" in report.ingest_summary and "入库 1 个" in report.ingest_summary
    # The document ingested through replica 0 is answered by replica 1 within seconds.
    assert report.freshness_s is not None and report.freshness_s < 60

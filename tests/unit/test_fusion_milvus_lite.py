"""Client-side fusion against milvus-lite: hybrid_search's rankers must equal our fusion of the plain searches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sparsebolt.rerank import milvus_rrf_ranker, milvus_weighted_ranker, rrf_fuse, weighted_fuse


@pytest.mark.integration
def test_client_fusion_matches_milvus_lite_hybrid_search(tmp_path: Path) -> None:
    """hybrid_search's RRF and weighted rankers against our fusion of the two searches' own results."""
    pytest.importorskip("milvus_lite")
    from pymilvus import AnnSearchRequest, DataType, MilvusClient

    client = MilvusClient(str(tmp_path / "fusion.db"))
    try:
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("a", DataType.FLOAT_VECTOR, dim=8)
        schema.add_field("b", DataType.FLOAT_VECTOR, dim=8)
        index = client.prepare_index_params()
        index.add_index("a", index_type="FLAT", metric_type="IP")
        index.add_index("b", index_type="FLAT", metric_type="L2")
        client.create_collection("fusion", schema=schema, index_params=index)
        rng = np.random.default_rng(7)
        client.insert("fusion", [{"id": i, "a": rng.standard_normal(8).tolist(), "b": rng.standard_normal(8).tolist()}
                                 for i in range(200)])
        for _ in range(5):
            qa, qb = rng.standard_normal(8).tolist(), rng.standard_normal(8).tolist()
            hits_a = client.search("fusion", [qa], anns_field="a", limit=20, search_params={"metric_type": "IP"})[0]
            hits_b = client.search("fusion", [qb], anns_field="b", limit=20, search_params={"metric_type": "L2"})[0]
            requests = [AnnSearchRequest([qa], "a", {"metric_type": "IP"}, 20),
                        AnnSearchRequest([qb], "b", {"metric_type": "L2"}, 20)]
            for ranker, ours in [
                (milvus_rrf_ranker(), rrf_fuse([hits_a, hits_b])),
                (milvus_rrf_ranker(k=5), rrf_fuse([hits_a, hits_b], k=5)),
                (milvus_weighted_ranker(0.7, 0.3), weighted_fuse([hits_a, hits_b], [0.7, 0.3], metrics=["IP", "L2"])),
            ]:
                theirs = client.hybrid_search("fusion", requests, ranker, limit=10)[0]
                _assert_same_top(theirs, ours, limit=10)
    finally:
        client.close()


def _assert_same_top(theirs: list, ours: list, *, limit: int) -> None:
    """Milvus' hits are our fused list's top ``limit`` up to the order of equal scores: the same score at every rank
    (Milvus sums in float32) and, for each id it returns, our score for that id. Lite 3.x breaks ties by the smaller
    id, as we do; Lite 2.5.1 orders equal scores its own way (also where a tie straddles the limit)."""
    from importlib.metadata import version

    got = [h["distance"] for h in theirs]
    assert len(theirs) == min(limit, len(ours)) and len({h["id"] for h in theirs}) == len(theirs)
    np.testing.assert_allclose(got, [r.score for r in ours[: len(theirs)]], rtol=1e-5)
    fused = {r.id: r.score for r in ours}
    assert all(h["id"] in fused for h in theirs)
    np.testing.assert_allclose(got, [fused[h["id"]] for h in theirs], rtol=1e-5)
    if int(version("milvus-lite").split(".")[0]) >= 3:
        assert [h["id"] for h in theirs] == [r.id for r in ours[:limit]]

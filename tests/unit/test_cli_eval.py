"""sparsebolt eval on a small BEIR folder written here, on Milvus Lite: the JSON's figures against pytrec_eval run
on independent rankings (BM25 and MiniLM scored by exact numpy dot products; the reranked lists made by calling
the reranker directly), a reused collection, --tune-fusion, --plot, and clear errors (exit 2) for bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sparsebolt.cli import EXIT_USAGE, main
from sparsebolt.eval.fusion_tuning import RRF_KS, split_queries

pytrec_eval = pytest.importorskip("pytrec_eval")

TOPICS = {
    "vaccine": ["vaccines train the immune system to recognise a virus", "a vaccine contains a weakened pathogen",
                "immunity after vaccination lasts years for measles"],
    "boiling": ["water boils at a lower temperature at high altitude", "air pressure falls on a mountain top",
                "a pressure cooker raises the boiling point of water in a kitchen"],
    "vectors": ["a vector database stores embeddings for similarity search", "milvus indexes dense and sparse "
                "vectors", "approximate nearest neighbour search trades recall for speed"],
    "bread": ["yeast makes bread dough rise by releasing gas", "sourdough uses wild yeast and lactic bacteria",
              "kneading develops gluten in wheat dough"],
    "tides": ["the moon's gravity pulls the oceans into tides", "spring tides happen at full and new moon",
              "tidal ranges are largest in narrow bays"],
}
QUERIES = {"q1": "how does a vaccine protect against a virus", "q2": "why does water boil sooner on a mountain",
           "q3": "what does a vector database store", "q4": "why does bread rise", "q5": "what causes ocean tides",
           "q6": "sourdough starter bacteria"}
QRELS = {"q1": {"vaccine-0": 2, "vaccine-1": 1}, "q2": {"boiling-0": 2, "boiling-1": 1},
         "q3": {"vectors-0": 2, "vectors-1": 1}, "q4": {"bread-0": 1}, "q5": {"tides-0": 2, "tides-1": 1},
         "q6": {"bread-1": 2, "bread-2": 0}}


def write_beir(folder: Path, qrels: dict[str, dict[str, int]] = QRELS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for topic, texts in TOPICS.items():
            for i, text in enumerate(texts):
                out.write(json.dumps({"_id": f"{topic}-{i}", "title": topic, "text": text}) + "\n")
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items())
                                          + json.dumps({"_id": "unjudged", "text": "tell me about tides"}) + "\n")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{g}" for q, docs in qrels.items() for d, g in docs.items()]
    (folder / "qrels.tsv").write_text("\n".join(lines) + "\n")
    return folder


def corpus() -> tuple[list[str], list[str]]:
    ids = [f"{topic}-{i}" for topic, texts in TOPICS.items() for i in range(len(texts))]
    texts = [f"{topic} {text}" for topic, items in TOPICS.items() for text in items]  # title, then text
    return ids, texts


def pytrec_means(runs: dict[str, list[str]], measures: dict[str, str]) -> dict[str, float]:
    """Mean of each trec_eval measure over the judged queries; ``measures``: our name -> trec_eval's key."""
    scored = {q: {doc: float(len(ranked) - i) for i, doc in enumerate(ranked)} for q, ranked in runs.items()}
    wanted = {key.replace("_cut_", "_cut.").replace("recall_", "recall.") for key in measures.values()}
    found = pytrec_eval.RelevanceEvaluator(QRELS, wanted).evaluate(scored)
    return {name: float(np.mean([m[key] for m in found.values()])) for name, key in measures.items()}


def reference_figures(ranked: dict[str, list[str]]) -> dict[str, float]:
    """nDCG@10 and Recall@100 of full rankings, and MRR@10 (trec_eval's recip_rank of the run cut at 10)."""
    figures = pytrec_means(ranked, {"nDCG@10": "ndcg_cut_10", "Recall@100": "recall_100"})
    figures.update(pytrec_means({q: r[:10] for q, r in ranked.items()}, {"MRR@10": "recip_rank"}))
    return figures


def exact_rankings(scores: np.ndarray, ids: list[str], *, positive_only: bool) -> dict[str, list[str]]:
    """Each judged query's documents by score, best first (a sparse search returns only documents that match)."""
    out = {}
    for q, row in zip(QUERIES, scores):
        order = np.argsort(-row, kind="stable")
        out[q] = [ids[i] for i in order if not positive_only or row[i] > 0]
    return out


def run_eval(capsys, *argv: str) -> dict:
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def dense_vectors():
    from sparsebolt.dense import DefaultEmbeddingFunction

    ef = DefaultEmbeddingFunction()
    return np.asarray(ef.encode_documents(corpus()[1])), np.asarray(ef.encode_queries(list(QUERIES.values())))


def test_json_matches_pytrec_eval_on_exact_rankings(tmp_path, capsys, dense_vectors):
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    folder = write_beir(tmp_path / "tiny-beir")
    uri = str(tmp_path / "eval.db")
    report = run_eval(capsys, str(folder), "--uri", uri)
    assert report["dataset"] == "tiny-beir" and report["queries"] == len(QRELS)  # the unjudged query is not run
    assert report["ingest"]["documents"] == report["ingest"]["inserted"] == 15
    assert set(report["modes"]) == {"sparse", "dense", "hybrid"}

    ids, texts = corpus()
    bm25 = BM25EmbeddingFunction().fit(texts)
    sparse_scores = (bm25.encode_queries(list(QUERIES.values())) @ bm25.encode_documents(texts).T).toarray()
    docs, queries = dense_vectors
    expected = {"sparse": reference_figures(exact_rankings(sparse_scores, ids, positive_only=True)),
                "dense": reference_figures(exact_rankings(queries @ docs.T, ids, positive_only=False))}
    for mode, figures in expected.items():
        got = report["modes"][mode]
        assert {m: got[m] for m in figures} == pytest.approx(figures, abs=1e-6), mode
    for mode, got in report["modes"].items():
        assert 0 < got["latency_ms"]["p50"] <= got["latency_ms"]["p99"], mode
        assert 0.0 <= got["nDCG@10"] <= 1.0 and 0.0 <= got["Recall@100"] <= 1.0, mode

    # Hybrid: the collection's own hybrid search, scored by pytrec_eval here; and a second run reuses the collection.
    from sparsebolt.dense import DefaultEmbeddingFunction
    from sparsebolt.milvus.collection import TextCollection

    with TextCollection(uri, "eval_tiny_beir", dense=DefaultEmbeddingFunction(),
                        sparse=BM25EmbeddingFunction()) as collection:
        judged = [q for q in QUERIES if q in QRELS]
        top = collection.search([QUERIES[q] for q in judged], mode="hybrid", limit=10)
        deep = collection.search([QUERIES[q] for q in judged], mode="hybrid", limit=100)
    hybrid = pytrec_means({q: [h.id for h in hits] for q, hits in zip(judged, top)}, {"nDCG@10": "ndcg_cut_10"})
    hybrid.update(pytrec_means({q: [h.id for h in hits] for q, hits in zip(judged, deep)},
                               {"Recall@100": "recall_100"}))
    assert {m: report["modes"]["hybrid"][m] for m in hybrid} == pytest.approx(hybrid, abs=1e-6)

    again = run_eval(capsys, str(folder), "--uri", uri, "--modes", "sparse,hybrid")
    assert (again["ingest"]["inserted"], again["ingest"]["skipped"]) == (0, 15)
    assert set(again["modes"]) == {"sparse", "hybrid"}
    for mode in again["modes"]:
        assert {m: again["modes"][mode][m] for m in expected["sparse"]} == pytest.approx(
            {m: report["modes"][mode][m] for m in expected["sparse"]}, abs=1e-9)


def test_rerank_rows_match_the_reranker_called_directly(tmp_path, capsys):
    pytest.importorskip("onnx")
    from sparsebolt.model.sparse import BM25EmbeddingFunction
    from sparsebolt.rerank import CrossEncoderRerankFunction
    from tests.unit.test_rerank_cross_encoder import make_weights, write_model

    model = write_model(tmp_path / "tiny-cross-encoder", make_weights(seed=7))
    folder = write_beir(tmp_path / "beir")
    report = run_eval(capsys, str(folder), "--modes", "sparse", "--dense", "none", "--rerank", str(model),
                      "--rerank-depth", "4")
    assert set(report["modes"]) == {"sparse", "sparse+rerank"}

    ids, texts = corpus()
    bm25 = BM25EmbeddingFunction().fit(texts)
    scores = (bm25.encode_queries(list(QUERIES.values())) @ bm25.encode_documents(texts).T).toarray()
    ranked = exact_rankings(scores, ids, positive_only=True)
    reranker, text_of = CrossEncoderRerankFunction(str(model)), dict(zip(ids, texts))
    reranked = {}
    for q, docs in ranked.items():
        head = docs[:4]
        order = [head[r.index] for r in reranker(QUERIES[q], [text_of[d] for d in head], top_k=len(head))]
        reranked[q] = order + docs[4:]
    got = report["modes"]["sparse+rerank"]
    expected = reference_figures(reranked)
    assert {m: got[m] for m in expected} == pytest.approx(expected, abs=1e-6)
    assert got["latency_ms"]["p50"] > 0


def test_tune_fusion_and_plot(tmp_path, capsys):
    folder = write_beir(tmp_path / "beir")
    plot = tmp_path / "out" / "quality.png"
    report = run_eval(capsys, str(folder), "--tune-fusion", "--seed", "3", "--plot", str(plot))
    fusion = report["fusion"]
    tune_ids, test_ids = split_queries([q for q in QUERIES if q in QRELS], seed=3)
    assert (fusion["tune_queries"], fusion["test_queries"]) == (len(tune_ids), len(test_ids)) == (3, 3)
    assert fusion["rrf_k"] in RRF_KS and sum(fusion["weights"]) == pytest.approx(1.0)
    rows = fusion["test"]
    assert {"sparse", "dense", f"hybrid rrf k={fusion['rrf_k']}", "hybrid as asked (rrf k=60)"} <= set(rows)
    assert all(0.0 <= v <= 1.0 for scores in rows.values() for v in scores.values())
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    matplotlib_image = pytest.importorskip("matplotlib.image")
    height, width = matplotlib_image.imread(str(plot)).shape[:2]
    assert (width, height) == (768, 528)  # 6.4 x 4.4 inches at 120 dpi


def test_table_on_stdout(tmp_path, capsys):
    folder = write_beir(tmp_path / "beir")
    assert main(["eval", str(folder), "--modes", "sparse", "--dense", "none"]) == 0
    out = capsys.readouterr().out
    assert "beir: 15 documents, 6 judged queries" in out
    header, row = out.splitlines()[2:4]
    assert header.split() == ["mode", "nDCG@10", "Recall@100", "MRR@10", "p50", "ms", "p99", "ms"]
    assert row.split()[0] == "sparse" and len(row.split()) == 6


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--modes", "sparse,fuzzy"], "--modes takes a comma-separated list of sparse, dense, hybrid"),
        (["--weights", "0.7,0.3"], "--weights applies to --ranker weighted"),
        (["--ranker", "weighted", "--weights", "0.7"], "--weights must be two numbers"),
        (["--ranker", "weighted", "--weights", "1.5,0.2"], "each weight must be a number in"),
        (["--rrf-k", "0"], "--rrf-k must be an integer in 1..16383"),
        (["--rerank-depth", "0"], "--rerank-depth must be >= 1"),
        (["--plot", "quality.svg"], "--plot writes a PNG"),
        (["--dense", "none", "--sparse", "none"], "leave nothing to search"),
        (["--dense", "none", "--modes", "dense"], "mode 'dense' needs dense vectors"),
    ],
)
def test_bad_options_exit_2_with_advice(tmp_path, capsys, extra, message):
    folder = write_beir(tmp_path / "beir")
    assert main(["eval", str(folder), *extra]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_bad_folders_exit_2_with_advice(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nowhere")]) == EXIT_USAGE
    assert "is not a folder: sparsebolt eval takes a BEIR folder" in capsys.readouterr().err

    empty = write_beir(tmp_path / "empty-qrels", qrels={})
    assert main(["eval", str(empty), "--dense", "none"]) == EXIT_USAGE
    assert "hold no judgements" in capsys.readouterr().err

    no_corpus = write_beir(tmp_path / "no-corpus")
    (no_corpus / "corpus.jsonl").unlink()
    assert main(["eval", str(no_corpus), "--dense", "none"]) == EXIT_USAGE
    assert "corpus.jsonl not found: a BEIR folder holds" in capsys.readouterr().err

    no_qrels = write_beir(tmp_path / "no-qrels")
    (no_qrels / "qrels.tsv").unlink()
    assert main(["eval", str(no_qrels), "--dense", "none"]) == EXIT_USAGE
    assert "expected qrels.tsv or qrels/<split>.tsv" in capsys.readouterr().err


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as info:
        main(["eval", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--modes", "--ranker", "--rerank", "--tune-fusion", "--plot", "--uri", "--collection", "--json",
                   "--language", "--precision"):
        assert option in out, option


def test_version_is_the_installed_package_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sparsebolt {metadata.version('sparsebolt')}"


def test_a_missing_eval_extra_is_named(tmp_path, capsys, monkeypatch):
    from sparsebolt.eval import mean_ndcg

    monkeypatch.setitem(sys.modules, "pytrec_eval", None)  # as if not installed: its import fails
    with pytest.raises(ImportError, match=r"pip install 'sparsebolt\[eval\]'"):
        mean_ndcg({"q": ["a"]}, {"q": {"a": 1}})
    assert main(["eval", str(write_beir(tmp_path / "beir")), "--dense", "none"]) == EXIT_USAGE
    assert "install the eval extra: pip install 'sparsebolt[eval]'" in capsys.readouterr().err

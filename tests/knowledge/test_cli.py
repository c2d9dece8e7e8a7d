from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hybridcx.cli import app

FAQS = [
    {
        "faq_id": "pw",
        "question": "How do I reset my password?",
        "answers": ["Use 'Forgot password' on the sign-in page."],
    },
    {
        "faq_id": "ship",
        "question": "How long does shipping take?",
        "answers": ["3 to 5 working days."],
    },
    {
        "faq_id": "ret",
        "question": "Can I return an item?",
        "answers": ["Yes, within 30 days for a full refund."],
    },
]
QUERIES = "text,label\nI forgot my password,pw\nwhen will my parcel arrive,ship\nI want to send a product back,ret\n"


def test_kb_eval_reports_metrics_as_json(tmp_path: Path) -> None:
    kb = tmp_path / "faqs.jsonl"
    kb.write_text("\n".join(json.dumps(f) for f in FAQS), "utf-8")
    queries = tmp_path / "queries.csv"
    queries.write_text(QUERIES, "utf-8")
    result = CliRunner().invoke(
        app, ["kb", "eval", "--kb", str(kb), "--queries", str(queries), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["queries"] == 3 and report["top1"] == 1.0 and report["mrr_at_10"] == 1.0
    assert report["recall_at_5"] == 1.0 and report["latency_p99_ms"] > 0
    assert report["curve"][0]["coverage"] == 1.0


def test_kb_import_builds_and_extends_a_saved_index(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "returns.md").write_text("# Returns\nReturn within 30 days.", "utf-8")
    out = tmp_path / "index"
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "import", str(tmp_path / "kb"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 documents" in result.output and (out / "vectors.npz").is_file()
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer,id\nDo you ship abroad?,Yes to 40 countries.,abroad\n", "utf-8")
    result = runner.invoke(app, ["kb", "import", str(faq), "--out", str(out)])
    assert "the index holds 2 documents" in result.output
    result = runner.invoke(app, ["kb", "search", "international delivery", "--index", str(out)])
    assert result.exit_code == 0 and "[abroad]" in result.output.splitlines()[0]


def test_kb_import_rejects_an_unknown_format(tmp_path: Path) -> None:
    bad = tmp_path / "doc.pdf"
    bad.write_bytes(b"%PDF")
    result = CliRunner().invoke(app, ["kb", "import", str(bad), "--out", str(tmp_path / "ix")])
    assert result.exit_code != 0 and "unsupported file type" in result.output

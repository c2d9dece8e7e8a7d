from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
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


def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sqlite3.Connection:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HYBRIDCX_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["workspace", "create", "acme"])
    assert result.exit_code == 0, result.output
    return sqlite3.connect(tmp_path / "data" / "hybridcx.db")


def test_kb_import_puts_every_format_into_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _workspace(tmp_path, monkeypatch)
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "returns.md").write_text(
        "# Returns\nReturn within 30 days.\n## Damaged items\nWe replace them.", "utf-8"
    )
    (kb / "stores.html").write_text(
        "<html><head><title>Stores</title></head><body><h1>Stores</h1><p>Two stores.</p>"
        "<script>alert(1)</script></body></html>",
        "utf-8",
    )
    (kb / "hours.txt").write_text("Opening hours\nWe open at nine.", "utf-8")
    (kb / "faq.jsonl").write_text(json.dumps(FAQS[0]) + "\n", "utf-8")
    (kb / "faq.csv").write_text(
        "question,answer,id\nDo you ship abroad?,Yes to 40 countries.,abroad\n", "utf-8"
    )
    result = CliRunner().invoke(app, ["kb", "import", str(kb), "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert "5 new" in result.output
    rows = dict(db.execute("select title, body from articles").fetchall())
    assert len(rows) == 5
    assert "## Damaged items" in rows["Returns"]
    assert not any("alert(1)" in body for body in rows.values())
    # Importing again changes nothing; a changed file becomes a new version.
    assert (
        "5 unchanged"
        in CliRunner().invoke(app, ["kb", "import", str(kb), "--workspace", "acme"]).output
    )
    (kb / "hours.txt").write_text("Opening hours\nWe open at ten.", "utf-8")
    result = CliRunner().invoke(app, ["kb", "import", str(kb), "--workspace", "acme"])
    assert "1 updated" in result.output
    assert db.execute("select max(version) from articles").fetchone()[0] == 2


def test_kb_import_can_also_save_an_offline_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(tmp_path, monkeypatch)
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer,id\nDo you ship abroad?,Yes to 40 countries.,abroad\n", "utf-8")
    out = tmp_path / "index"
    runner = CliRunner()
    result = runner.invoke(
        app, ["kb", "import", str(faq), "--workspace", "acme", "--index-out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "vectors.npz").is_file()
    result = runner.invoke(app, ["kb", "search", "international delivery", "--index", str(out)])
    assert result.exit_code == 0 and "[abroad]" in result.output.splitlines()[0]


def test_kb_import_rejects_an_unknown_format_and_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(tmp_path, monkeypatch)
    bad = tmp_path / "doc.pdf"
    bad.write_bytes(b"%PDF")
    result = CliRunner().invoke(app, ["kb", "import", str(bad), "--workspace", "acme"])
    assert result.exit_code != 0 and "unsupported file type" in result.output
    good = tmp_path / "a.txt"
    good.write_text("Title\nBody", "utf-8")
    result = CliRunner().invoke(app, ["kb", "import", str(good), "--workspace", "nope"])
    assert result.exit_code != 0 and "No workspace" in result.output

"""`hybridcx analytics report` prints the same numbers as the API, in json, csv and html."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hybridcx.cli import app
from tests.support import Api, LiveServer


@pytest.fixture
def env(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)


def test_report_formats_match_the_api(api: Api, env: None) -> None:
    api.start("rene@example.com", "Rene")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    from_api = api.staff(sam, "GET", "/api/v1/analytics/kpis").json()
    runner = CliRunner()

    result = runner.invoke(app, ["analytics", "report"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["volume"] == from_api["volume"]
    assert printed["operations"]["cost"] == from_api["operations"]["cost"]

    csv_out = runner.invoke(app, ["analytics", "report", "--format", "csv"]).output
    assert csv_out.startswith("metric,value\n")
    assert "volume.conversations,1" in csv_out

    html_out = runner.invoke(app, ["analytics", "report", "--format", "html"]).output
    assert html_out.lstrip().startswith("<!doctype html>") and "blended_per_contact" in html_out


def test_report_rejects_a_bad_window(api: Api, env: None) -> None:
    result = CliRunner().invoke(
        app, ["analytics", "report", "--from", "2026-02-01", "--to", "2026-01-01"]
    )
    assert result.exit_code == 2
    unknown = CliRunner().invoke(app, ["analytics", "report", "--workspace", "nope"])
    assert unknown.exit_code == 2

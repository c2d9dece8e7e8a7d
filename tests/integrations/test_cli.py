"""`hybridcx integrations`, run as an operator runs it (a real subprocess, its own database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integrations.fakes import (
    COMPANY_TOKEN,
    SHOPIFY_TOKEN,
    FakeServer,
    company_mapping,
)

HYBRIDCX = [sys.executable, "-m", "hybridcx.cli"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        HYBRIDCX + args,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {"HYBRIDCX_DATA_DIR": str(tmp_path / "data"), "HYBRIDCX_DATABASE_URL": ""}
    assert _run(["seed"], env).returncode == 0
    return env


def test_set_list_and_test_a_no_code_backend(
    env: dict[str, str], company: FakeServer, tmp_path: Path
) -> None:
    mapping = tmp_path / "acme.yaml"
    mapping.write_text(yaml.safe_dump(company_mapping(company)))
    saved = _run(
        [
            "integrations",
            "set",
            "acme",
            "--kind",
            "http",
            "--config",
            str(mapping),
            "--secret-env",
            "token=ACME_TOKEN",
            "--serves-flows",
        ],
        {**env, "ACME_TOKEN": COMPANY_TOKEN},
    )
    assert saved.returncode == 0, saved.stderr
    assert (
        COMPANY_TOKEN not in saved.stdout and '"secrets_set": [\n    "token"\n  ]' in saved.stdout
    )
    listed = _run(["integrations", "list"], env)
    assert '"name": "acme"' in listed.stdout and COMPANY_TOKEN not in listed.stdout

    checked = _run(
        ["integrations", "test", "acme", "--email", "alex@example.com", "--order", "5001"], env
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert "ok    find_customer   customer found" in lines
    assert "ok    orders_for      1 orders found" in lines
    assert "ok    order           order found" in lines
    assert any(line.startswith("ok    account_for     not mapped") for line in lines)
    assert lines[-1] == "5 of 5 checks passed"
    # only reads went to the company's API
    assert {method for method, _, _ in company.requests} == {"GET"}

    company.stop()
    down = _run(["integrations", "test", "acme"], env)
    assert down.returncode == 1
    assert "FAIL  order           could not connect" in down.stdout


def test_a_bad_mapping_is_refused_with_the_place_and_a_missing_secret_too(
    env: dict[str, str], company: FakeServer, tmp_path: Path
) -> None:
    bad = company_mapping(company)
    bad["operations"]["order"]["result"].pop("status")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    r = _run(["integrations", "set", "acme", "--kind", "http", "--config", str(path)], env)
    assert r.returncode == 2
    assert "operations.order.result: 'status' is required" in r.stderr
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(company_mapping(company)))
    r = _run(["integrations", "set", "acme", "--kind", "http", "--config", str(good)], env)
    assert r.returncode == 2 and "needs the secrets ['token']" in r.stderr
    assert _run(["integrations", "test", "nope"], env).returncode == 2


def test_test_a_shopify_store(env: dict[str, str], shop: FakeServer, tmp_path: Path) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text(yaml.safe_dump({"shop": shop.url}))
    r = _run(
        [
            "integrations",
            "set",
            "shop",
            "--kind",
            "shopify",
            "--config",
            str(config),
            "--secret-env",
            "access_token=SHOP_TOKEN",
        ],
        {**env, "SHOP_TOKEN": SHOPIFY_TOKEN},
    )
    assert r.returncode == 0, r.stderr
    checked = _run(
        ["integrations", "test", "shop", "--email", "alex@example.com", "--order", "7001"], env
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok    shop            shop 'Northwind Shop'" in checked.stdout
    assert "ok    orders_for      2 orders found" in checked.stdout

"""Run the red-team corpus (tests/redteam/corpus.yaml) against a real server and report.

Starts the app under uvicorn on a free port with a scratch SQLite database (as the tests do),
trains or loads the demo intent model, runs every case over HTTP, and prints the counts per
category and the pass rate. With --llm it also runs the corpus with generative answers from the
obedient fake LLM (tests/redteam/adversarial_llm.py). The numbers in docs/redteam.md come from
this script.

    .venv/bin/python scripts/redteam_report.py [--llm] [--json] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.redteam.adversarial_llm import serve  # noqa: E402
from tests.redteam.runner import POLICY, RedTeam, load_cases, summary  # noqa: E402
from tests.support import Api, LiveServer, settings_for  # noqa: E402

from hybridcx.brain import load_brain  # noqa: E402


def run(model: Path, data: Path, llm_url: str | None) -> dict[str, Any]:
    settings = settings_for("sqlite", data, nlu_model_dir=model, llm_base_url=llm_url)
    server = LiveServer(settings).start()
    try:
        server.reset()
        settings.policy_dir.mkdir(parents=True, exist_ok=True)
        (settings.policy_dir / "default.yaml").write_text(POLICY)
        api = Api(server.url, server.ws_url)
        try:
            return summary(RedTeam(server, api).run(load_cases()))
        finally:
            api.close()
    finally:
        server.stop()


def table(title: str, report: dict[str, Any]) -> str:
    lines = [
        f"### {title}",
        "",
        "| Category | Cases | Passed | Caught by the input guard | Handed to a person | Output blocked |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in sorted(report["by_category"].items()):
        lines.append(
            f"| {name} | {row['cases']} | {row['passed']} | {row['flagged']} | "
            f"{row['handed_over']} | {row['output_blocked']} |"
        )
    lines += ["", f"Pass rate: {report['passed']}/{report['cases']} ({report['pass_rate']:.0%})"]
    for failure in report["failures"]:
        lines.append(f"- FAILED {failure['id']}: {failure}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", action="store_true", help="Also run with the obedient fake LLM.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")
    parser.add_argument("--model", type=Path, help="A trained intent model (default: train one).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or Path(tmp) / "nlu"
        load_brain(model)
        reports = {"extractive answers": run(model, Path(tmp) / "a", None)}
        if args.llm:
            for url in serve():
                reports["generative answers, obedient LLM"] = run(model, Path(tmp) / "b", url)
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        print("\n\n".join(table(title, r) for title, r in reports.items()))
    if any(r["failures"] for r in reports.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""The load benchmark (bench/load.py) against the live test server: a few customers, every
message stored once, and a report that adds up. The numbers themselves are printed, never
asserted."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

import pytest
from bench.load import (
    DEFAULT_TEXTS,
    BenchError,
    LoadConfig,
    check_urls,
    format_report,
    load_texts,
    main,
    percentiles,
    process_tree,
    run,
)

from tests.support import Api, LiveServer


@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
def test_a_few_customers_in_a_closed_loop(server: LiveServer, api: Api, client: str) -> None:
    """Both HTTP clients drive the server alike (aiohttp is the default for real servers)."""
    config = LoadConfig(
        urls=(server.url,),
        client=client,
        customers=4,
        messages=3,
        warmup=1,
        texts=load_texts(DEFAULT_TEXTS),
        server_pids=(os.getpid(),),  # the test server runs in this process
    )
    report = asyncio.run(run(config))
    print(format_report(report))
    assert report.ok
    assert report.conversations == 4 and report.conversations_read == 4
    assert report.acknowledged == 12  # the warm-up messages are stored but not timed
    assert report.lost == 0 and report.stored_twice == 0 and report.failed == 0
    assert report.non_2xx == {} and report.retries == 0
    assert 0 < report.latency["p50"] <= report.latency["p95"] <= report.latency["p99"]
    assert report.messages_per_second > 0
    assert report.server_cpu_seconds is not None and report.server_cpu_seconds >= 0
    assert report.server_processes >= 1

    token = api.login("supervisor@example.com", "demo-supervisor")
    listed = api.staff(token, "GET", "/api/v1/conversations").json()["items"]
    assert len([c for c in listed if c["customer"]["email"].startswith("load-")]) >= 4


def test_handoff_mode_queues_every_conversation(server: LiveServer, api: Api) -> None:
    config = LoadConfig(urls=(server.url,), mode="handoff", clients=3, conversations=9)
    report = asyncio.run(run(config))
    print(format_report(report))
    assert report.ok and report.non_2xx == {}
    assert report.conversations == 9 and report.acknowledged == 9
    assert report.lost == 0 and report.stored_twice == 0

    token = api.login("supervisor@example.com", "demo-supervisor")
    queued = api.staff(token, "GET", "/api/v1/conversations", params={"status": "queued"})
    assert len(queued.json()["items"]) == 9


def test_several_urls_are_served_round_robin(server: LiveServer, api: Api) -> None:
    """The same server twice stands in for two processes: both addresses get requests."""
    alias = server.url.replace("127.0.0.1", "localhost")
    config = LoadConfig(
        urls=(server.url, alias), customers=2, messages=2, texts=load_texts(DEFAULT_TEXTS)
    )
    report = asyncio.run(run(config))
    assert report.ok and report.acknowledged == 4


def test_the_default_texts_are_a_varied_mix() -> None:
    texts = load_texts(DEFAULT_TEXTS)
    kinds = Counter(t.kind for t in texts)
    assert len(texts) >= 300 and len({t.text for t in texts}) == len(texts)
    assert set(kinds) == {"question", "follow_up", "smalltalk", "person", "out_of_scope"}
    assert kinds["question"] > len(texts) / 3


def test_texts_files_with_or_without_header_and_kinds(tmp_path: Path) -> None:
    one_column = tmp_path / "plain.csv"
    one_column.write_text('where is my order\n\n"hours, please"\n')
    assert [(t.kind, t.text) for t in load_texts(one_column)] == [
        ("question", "where is my order"),
        ("question", "hours, please"),
    ]
    with_header = tmp_path / "kinds.csv"
    with_header.write_text("kind,text\nperson,agent please\n")
    assert [(t.kind, t.text) for t in load_texts(with_header)] == [("person", "agent please")]
    empty = tmp_path / "empty.csv"
    empty.write_text("kind,text\n")
    with pytest.raises(BenchError, match="holds no messages"):
        load_texts(empty)
    with pytest.raises(BenchError, match="cannot read"):
        load_texts(tmp_path / "missing.csv")


def test_only_loopback_unless_allowed() -> None:
    assert check_urls(["http://127.0.0.1:8000/"], allow_remote=False) == ("http://127.0.0.1:8000",)
    assert check_urls(["http://localhost:8000", "http://[::1]:8000"], allow_remote=False)
    with pytest.raises(BenchError, match="not a loopback address.*--allow-remote"):
        check_urls(["http://10.0.0.5:8000"], allow_remote=False)
    with pytest.raises(BenchError, match="not a loopback"):
        check_urls(["https://cx.example.com"], allow_remote=False)
    assert check_urls(["https://cx.example.com"], allow_remote=True)
    with pytest.raises(BenchError, match="not an http"):
        check_urls(["ftp://127.0.0.1"], allow_remote=False)


def test_the_command_refuses_bad_input_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--url", "http://192.0.2.1:8000"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["--customers", "0"]) == 2
    assert "--customers must be between 1 and" in capsys.readouterr().err
    assert main(["--duration", "0"]) == 2
    assert "--duration" in capsys.readouterr().err
    few = tmp_path / "few.csv"
    few.write_text("hi\nhello\n")
    assert main(["--texts", str(few), "--messages", "5"]) == 2
    assert "different texts" in capsys.readouterr().err


def test_no_server_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support import free_port

    assert main(["--url", f"http://127.0.0.1:{free_port()}", "--customers", "1"]) == 2
    assert "no server answers" in capsys.readouterr().err


def test_percentiles_and_process_tree() -> None:
    stats = percentiles([float(n) for n in range(1, 101)])
    assert (stats["p50"], stats["p95"], stats["p99"], stats["max"]) == (50, 95, 99, 100)
    assert percentiles([]) == {}
    assert process_tree([os.getpid()])[0] == os.getpid()

"""What one customer message costs the server, in process: CPU per message and where it goes.

Starts the demo company's app in this process on a fresh SQLite data directory (no uvicorn, no
sockets: httpx talks to the ASGI app directly, so the HTTP server's own cost is left out), runs
bench/load.py's closed loop of web-chat customers against it and prints the process's CPU time
per message (server and driver together: the driver's share is small and the same for every
code version). For where the time goes, run py-spy against it (docs/benchmarks.md, "Profile").

    .venv/bin/python bench/turn_cost.py --customers 16 --messages 20
    # another code version side by side, with this checkout's venv and driver:
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python bench/turn_cost.py

Numbers are CPU time, so they hold up on a machine that is busy with other work better than
latencies do; still compare versions in one session.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (bench/load.py, next to this file)


class GcPauses:
    """The garbage collector's pauses while timing, by generation (gc.callbacks)."""

    def __init__(self) -> None:
        self.pauses: list[list[float]] = [[], [], []]
        self.timing = False
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        elif self.timing:
            self.pauses[info["generation"]].append(time.perf_counter() - self._start)

    def report(self, messages: int) -> str:
        lines = []
        for generation, pauses in enumerate(self.pauses):
            total = 1000 * sum(pauses)
            longest = 1000 * max(pauses, default=0.0)
            lines.append(
                f"  generation {generation}: {len(pauses)} collections, {total:.0f} ms in all "
                f"({total / max(messages, 1):.2f} ms per message), longest {longest:.1f} ms"
            )
        return "\n".join(lines)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(args: argparse.Namespace, data_dir: Path) -> None:
    os.environ["HYBRIDCX_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HYBRIDCX_LOG_LEVEL", "warning")
    import hybridcx
    from hybridcx.app import create_app
    from hybridcx.cli import _seed
    from hybridcx.config import Settings
    from hybridcx.kit.keys import keyring_from_settings, set_default_keyring

    settings = Settings()
    set_default_keyring(loader=lambda: keyring_from_settings(settings))  # as the CLI does
    await _seed(settings)
    # As `hybridcx serve` builds it (the garbage collector settled after start-up, kit.heap),
    # when the code measured has that; --no-settle-heap for Python's defaults.
    if "settle_heap" in inspect.signature(create_app).parameters:
        app = create_app(settings, settle_heap=args.settle_heap)
    else:
        app = create_app(settings)
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    base = load.LoadConfig(
        urls=("http://127.0.0.1:8000",),
        customers=args.customers,
        messages=args.warmup_messages,
        warmup=1,
        texts=load.load_texts(args.texts),
        seed=args.seed + 1,
    )
    async with app.router.lifespan_context(app):
        # Warm up: the knowledge index, the model's first runs, the caches.
        await load.run(base, transport)
        config = load.LoadConfig(
            **{
                **base.__dict__,
                "messages": args.messages,
                "warmup": 0,
                "seed": args.seed,
                "duration": args.duration,
            }
        )
        print(f"timing {args.customers} customers (pid {os.getpid()})", file=sys.stderr, flush=True)
        cpu, wall = _cpu(), time.perf_counter()
        pauses.timing = True
        report = await load.run(config, transport)
        pauses.timing = False
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    n = report.acknowledged
    print(f"code: {os.path.dirname(hybridcx.__file__)}")
    print(
        f"{args.customers} customers, {n} messages timed, lost {report.lost}, "
        f"twice {report.stored_twice}, non-2xx {report.non_2xx or 'none'}"
    )
    print(f"CPU per message (server + driver, all threads): {1000 * cpu / max(n, 1):.2f} ms")
    print(
        f"wall per message: {1000 * wall / max(n, 1):.2f} ms "
        f"({n / max(wall, 1e-9):.1f} messages/s in process)"
    )
    print(f"garbage collector pauses while timing (frozen objects: {gc.get_freeze_count()}):")
    print(pauses.report(n))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--customers", type=int, default=16)
    p.add_argument("--messages", type=int, default=20, help="timed messages per customer")
    p.add_argument("--warmup-messages", type=int, default=3, help="untimed, per customer")
    p.add_argument("--duration", type=float, default=120.0)
    p.add_argument("--texts", type=Path, default=load.DEFAULT_TEXTS)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, help="default: a fresh temporary directory")
    p.add_argument(
        "--no-settle-heap",
        dest="settle_heap",
        action="store_false",
        help="keep Python's garbage collector defaults (`hybridcx serve` settles it)",
    )
    args = p.parse_args(argv)
    if args.data_dir:
        asyncio.run(measure(args, args.data_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="hybridcx-turn-cost-") as tmp:
            asyncio.run(measure(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

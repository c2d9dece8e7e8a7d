"""The fairness report for a workspace: facts from the analytics rollup, segments from the
customers table (channel from the facts; language and other attributes from
``customers.attributes``; value tier from VIP status and lifetime value)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics import rollup
from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.facts import ConversationFacts
from hybridcx.analytics.kpis import KpiQuery
from hybridcx.fairness.audit import FairnessConfig, audit
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.models import Customer
from hybridcx.segments.profiles import SegmentsFile, segment_name

BUILT_IN = ("channel", "language", "value_tier")
# the customer's AI segment profile (segments/); in the default report when the
# workspace has segment profiles.
AI_SEGMENT = "ai_segment"
UNKNOWN = "unknown"


def fairness_config_path(policy_dir: Path, workspace_slug: str) -> Path:
    return policy_dir / f"{workspace_slug}.fairness.yaml"


def load_fairness_config(path: Path | None) -> FairnessConfig:
    if path is None or not path.exists():
        return FairnessConfig()
    try:
        return FairnessConfig.model_validate(yaml.safe_load(path.read_text("utf-8")) or {})
    except (yaml.YAMLError, ValueError) as exc:
        raise InvalidInput(f"Fairness configuration {path} is invalid: {exc}") from exc


def value_tier(customer: Customer | None, *, high_value: float) -> str:
    if customer is None:
        return UNKNOWN
    if customer.vip:
        return "vip"
    return "high" if customer.lifetime_value >= high_value else "standard"


def segmenter(
    dimension: str,
    customers: dict[str, Customer],
    *,
    high_value: float,
    profiles: SegmentsFile | None = None,
) -> Callable[[ConversationFacts], str]:
    if dimension == AI_SEGMENT:  # the AI profile the customer's turns get
        chosen = profiles or SegmentsFile()
        return lambda f: segment_name(chosen, customers.get(f.customer_id or ""))
    if dimension == "channel":
        return lambda f: f.channel
    if dimension == "value_tier":
        return lambda f: value_tier(customers.get(f.customer_id or ""), high_value=high_value)

    def attribute(f: ConversationFacts) -> str:
        c = customers.get(f.customer_id or "")
        value = (c.attributes or {}).get(dimension) if c is not None else None
        return str(value) if value not in (None, "") else UNKNOWN

    return attribute


async def fairness_report(
    session: AsyncSession,
    workspace_id: str,
    query: KpiQuery,
    *,
    segments: list[str],
    config: FairnessConfig,
    analytics: AnalyticsConfig,
    high_value: float,
    profiles: SegmentsFile | None = None,
) -> dict[str, Any]:
    now = utcnow()
    until = min(query.end + timedelta(days=config.fcr_days), max(now, query.end))
    everyone = await rollup.window_facts(
        session,
        workspace_id,
        start=query.start,
        end=until,
        meta_intents=analytics.meta_intents,
        now=now,
    )
    # Without a request budget the rollup is caught up fully, so the window is always there.
    assert everyone is not None
    cohort = [f for f in everyone if query.matches(f)]
    ids = sorted({f.customer_id for f in everyone if f.customer_id})
    customers: dict[str, Customer] = {}
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(Customer).where(
                Customer.workspace_id == workspace_id, Customer.id.in_(ids[i : i + 500])
            )
        )
        customers.update({c.id: c for c in rows.scalars()})
    reports = [
        audit(
            cohort,
            segmenter(dim, customers, high_value=high_value, profiles=profiles),
            dimension=dim,
            config=config,
            everyone=everyone,
        )
        for dim in segments
    ]
    return {
        "query": query.to_dict(),
        "config": config.model_dump(),
        "dimensions": reports,
        "flags": [{"dimension": r["dimension"], **f} for r in reports for f in r["flags"]],
        "generated_at": utcnow().isoformat(timespec="seconds") + "Z",
    }


def parse_segments(raw: list[str] | None) -> list[str]:
    names = [s.strip() for item in (raw or []) for s in item.split(",") if s.strip()]
    for name in names:
        if len(name) > 64 or not name.replace("_", "").replace("-", "").isalnum():
            raise InvalidInput(f"Segment {name!r} is not a valid attribute name.")
    return names or list(BUILT_IN)

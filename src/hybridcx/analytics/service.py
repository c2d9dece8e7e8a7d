"""The KPI report for a workspace: catch the rollup up, load the window's facts, compute."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics import rollup
from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.kpis import KpiQuery, compute_kpis_from_facts
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow

DEFAULT_DAYS = 30
MAX_DAYS = 400


def parse_when(value: str | None, *, end: bool) -> datetime | None:
    """An ISO date (a whole day: ``to`` includes it) or an ISO datetime, as naive UTC."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end else day, time())
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an ISO date such as 2026-03-01.") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def kpi_query(
    start: str | None,
    end: str | None,
    *,
    channel: str | None = None,
    tier: int | None = None,
    intent: str | None = None,
    agent_id: str | None = None,
) -> KpiQuery:
    """The query for ``from``/``to`` (default: the last 30 days), checked."""
    to_at = parse_when(end, end=True) or utcnow()
    from_at = parse_when(start, end=False) or to_at - timedelta(days=DEFAULT_DAYS)
    if from_at >= to_at:
        raise InvalidInput("'from' must be before 'to'.")
    if to_at - from_at > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days; narrow from/to.")
    return KpiQuery(
        start=from_at, end=to_at, channel=channel, tier=tier, intent=intent, agent_id=agent_id
    )


async def kpi_report(
    session: AsyncSession, workspace_id: str, query: KpiQuery, config: AnalyticsConfig
) -> dict[str, Any]:
    # Re-contacts after the window still decide first-contact resolution.
    now = utcnow()
    until = min(query.end + timedelta(days=config.fcr_days), max(now, query.end))
    facts = await rollup.window_facts(
        session,
        workspace_id,
        start=query.start,
        end=until,
        meta_intents=config.meta_intents,
        now=now,
    )
    report = compute_kpis_from_facts(facts, query, config, now=min(now, until))
    report["generated_at"] = utcnow().isoformat(timespec="seconds") + "Z"
    return report

"""Per-workspace routing policies, read from ``<data dir>/policies/<slug>.yaml``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import PolicyError, RoutingPolicy, load_policy

log = structlog.get_logger(__name__)


class PolicyStore:
    """Caches each workspace's policy and pipeline, reloading when its file changes."""

    def __init__(
        self, policy_dir: Path, build: Callable[[RoutingPolicy], Pipeline] = build_pipeline
    ) -> None:
        self.policy_dir = policy_dir
        self.build = build
        self._cache: dict[str, tuple[float | None, RoutingPolicy, Pipeline]] = {}

    def path_for(self, slug: str) -> Path:
        return self.policy_dir / f"{slug}.yaml"

    def _entry(self, slug: str) -> tuple[RoutingPolicy, Pipeline]:
        path = self.path_for(slug)
        mtime = path.stat().st_mtime if path.exists() else None
        cached = self._cache.get(slug)
        if cached and cached[0] == mtime:
            return cached[1], cached[2]
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            # A typo in one workspace's file must not take its conversations down: keep serving
            # the last good policy (or the defaults) and say so loudly.
            log.error("policy.invalid_file", workspace=slug, error=str(exc))
            previous = self._cache.get(slug)
            policy = previous[1] if previous else load_policy(None)
        pipeline = self.build(policy)
        self._cache[slug] = (mtime, policy, pipeline)
        return policy, pipeline

    def policy(self, slug: str) -> RoutingPolicy:
        return self._entry(slug)[0]

    def pipeline(self, slug: str) -> Pipeline:
        return self._entry(slug)[1]

"""Per-workspace routing policies, read from ``<data dir>/policies/<slug>.yaml``."""

from __future__ import annotations

from pathlib import Path

from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy, load_policy


class PolicyStore:
    """Caches each workspace's policy and pipeline, reloading when its file changes."""

    def __init__(self, policy_dir: Path) -> None:
        self.policy_dir = policy_dir
        self._cache: dict[str, tuple[float | None, RoutingPolicy, Pipeline]] = {}

    def path_for(self, slug: str) -> Path:
        return self.policy_dir / f"{slug}.yaml"

    def _entry(self, slug: str) -> tuple[RoutingPolicy, Pipeline]:
        path = self.path_for(slug)
        mtime = path.stat().st_mtime if path.exists() else None
        cached = self._cache.get(slug)
        if cached and cached[0] == mtime:
            return cached[1], cached[2]
        policy = load_policy(path)
        pipeline = build_pipeline(policy)
        self._cache[slug] = (mtime, policy, pipeline)
        return policy, pipeline

    def policy(self, slug: str) -> RoutingPolicy:
        return self._entry(slug)[0]

    def pipeline(self, slug: str) -> Pipeline:
        return self._entry(slug)[1]

"""Fixtures of the reliability tests: a pipeline of their own per test, logs kept per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devstack.stack import PROJECT_DIR

from .pipeline import Pipeline

StartPipeline = Callable[..., Pipeline]


@pytest.fixture
def start_pipeline(tmp_path) -> Iterator[StartPipeline]:
    """``start_pipeline(fault_rate=0.1, seed=7)``: emulator, proxy and runtime, stopped after."""
    started: list[Pipeline] = []

    def start(fault_rate: float = 0.0, seed: int = 0, project_dir=PROJECT_DIR) -> Pipeline:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        pipeline = Pipeline.start(logs, fault_rate=fault_rate, seed=seed, project_dir=project_dir)
        started.append(pipeline)
        return pipeline

    yield start
    for pipeline in started:
        pipeline.stop()

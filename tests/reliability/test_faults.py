"""Faults of the services: 10% of the code's calls to the emulator answered with throttling
or a 5xx by the fault proxy. Every entry is stored, writes repeat no more than the faulted
and retried write calls allow (a batch each), the retries show in the metrics, and nothing
is parked or dead-lettered for a fault a retry fixes."""

from __future__ import annotations

import pytest

from .fanout_run import Workload, run
from .test_crashes import FULL, assert_stored_once_and_repeats_bounded, report

SHORT = Workload(posts=10, authors=2, followers=200)
RATE = 0.1


def check_faults_were_retried(pipeline) -> None:
    injected = pipeline.proxy.injected
    services = {service for service, _ in injected}
    # the pipeline's own services were all hit (KMS only when a secret is read)
    assert {"dynamodb", "sns", "sqs", "kinesis"} <= services, injected
    # the functions' SDK clients retried (the runtime's own polls retry outside them),
    # and only after a fault: every retry the metric counts answers one injected fault
    retried = {s: pipeline.metric_total("SdkRetries", aws_service=s) for s in ("dynamodb", "sns")}
    assert all(n > 0 for n in retried.values()), (retried, injected)
    assert 0 < pipeline.metric_total("SdkRetries") <= pipeline.proxy.injected_total
    # no record needed more than the SDK's retries: no policy failure, nothing parked
    assert pipeline.metric_total("FailuresByPolicy") == 0


def fault_report(pipeline) -> dict[str, object]:
    proxy = pipeline.proxy
    forwarded = sum(proxy.forwarded.values())
    return {
        "faults": proxy.injected_total,
        "calls": forwarded + proxy.injected_total,
        "by_kind": {f"{s}:{c}": n for (s, c), n in sorted(proxy.injected.items())},
        "sdk_retries": int(pipeline.metric_total("SdkRetries")),
    }


@pytest.mark.reliability
def test_ten_percent_faults_short_run(start_pipeline):
    pipeline = start_pipeline(fault_rate=RATE, seed=11)
    outcome = run(pipeline, SHORT)
    report("10% faults (short)", outcome, **fault_report(pipeline))
    assert_stored_once_and_repeats_bounded(outcome, SHORT)
    check_faults_were_retried(pipeline)


@pytest.mark.reliability
@pytest.mark.full
@pytest.mark.timeout(4200)
def test_ten_percent_faults_200_posts_to_1000_followers(start_pipeline):
    pipeline = start_pipeline(fault_rate=RATE, seed=2026)
    outcome = run(pipeline, FULL, timeout=3600)
    report("10% faults (full)", outcome, **fault_report(pipeline))
    assert_stored_once_and_repeats_bounded(outcome, FULL)
    check_faults_were_retried(pipeline)

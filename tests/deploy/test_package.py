"""``make package``: every declared setting lands in the SAM template, it lints clean, and
the deployment zip carries the contract and runs it on Lambda's platform."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from zipfile import ZipFile

import pytest
from cfnlint.api import lint_file

from tests.deploy.conftest import PACKAGED_STAGES, PROJECT_DIR

# the SAM event type Chalice writes for each decorator
KINESIS, SQS, SNS = "Kinesis", "SQS", "SNS"


def _template(packaged: dict[str, Path], stage: str) -> dict[str, Any]:
    return json.loads((packaged[stage] / "sam.json").read_text())  # type: ignore[no-any-return]


def _cfn_name(function: str) -> str:
    """Chalice's logical id of a function: snake_case to CamelCase."""
    return "".join(part.capitalize() for part in function.split("_"))


def _expected_arn(name: str, service: str) -> Any:
    if name.startswith("arn:"):
        return name
    return {
        "Fn::Sub": f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{name}"
    }


def _declared(config: dict[str, Any], stage: str) -> dict[str, dict[str, Any]]:
    functions = config["stages"][stage]["lambda_functions"]
    return {f: v["event_source"] for f, v in functions.items() if "event_source" in v}


def _event(function_resource: dict[str, Any]) -> dict[str, Any]:
    (event,) = function_resource["Properties"]["Events"].values()
    return event  # type: ignore[no-any-return]


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
@pytest.mark.parametrize("template", ["sam.json", "resources.yaml"])
def test_cfn_lint_finds_no_error_in_the_packaged_templates(packaged, stage, template):
    # GIVEN the packaged stage WHEN cfn-lint reads the template
    matches = lint_file(packaged[stage] / template)
    # THEN no error (rule ids E...); warnings are cfn-lint's advice, not failures
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_every_declared_mapping_setting_is_in_the_template(packaged, config, stage):
    template = _template(packaged, stage)
    declared = _declared(config, stage)
    assert declared, "the stage declares no event_source block: nothing would be checked"
    checked = 0
    for function, block in declared.items():
        event = _event(template["Resources"][_cfn_name(function)])
        if event["Type"] == SNS:
            continue
        properties = event["Properties"]
        for key, value in block.items():
            if key == "DestinationConfig":
                for which, target in value.items():
                    assert properties[key][which]["Destination"] == _expected_arn(
                        target["Destination"], "sqs"
                    ), (function, key, which)
            else:
                assert properties[key] == value, (function, key)
            checked += 1
    assert checked >= 4  # distribute_yubl: bisect, retries, record age, destination


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_each_functions_reserved_concurrency_is_in_the_template(packaged, config, stage):
    # GIVEN the stage's reserved concurrencies (the feed's two lanes declare one each)
    functions = config["stages"][stage]["lambda_functions"]
    declared = {
        f: v["reserved_concurrency"] for f, v in functions.items() if "reserved_concurrency" in v
    }
    assert {"add_to_feed", "add_to_feed_priority"} <= set(declared)
    # THEN each function of the template reserves exactly that, and no other reserves any
    template = _template(packaged, stage)
    reserved = {
        name: resource["Properties"]["ReservedConcurrentExecutions"]
        for name, resource in template["Resources"].items()
        if "ReservedConcurrentExecutions" in resource.get("Properties", {})
    }
    assert reserved == {_cfn_name(f): n for f, n in declared.items()}


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_sns_functions_get_their_event_invoke_config(packaged, config, stage):
    template = _template(packaged, stage)
    sns_functions = [
        function
        for function in _declared(config, stage)
        if _event(template["Resources"][_cfn_name(function)])["Type"] == SNS
    ]
    assert sns_functions  # add_to_feed
    for function in sns_functions:
        block = _declared(config, stage)[function]
        resource = template["Resources"][_cfn_name(function)]
        invoke = resource["Properties"]["EventInvokeConfig"]
        for key, value in block.items():
            if key == "DestinationConfig":
                target = value["OnFailure"]["Destination"]
                assert invoke[key]["OnFailure"] == {
                    "Destination": _expected_arn(target, "sqs"),
                    "Type": "SQS",
                }
            elif key in ("FilterPolicy", "FilterPolicyScope"):
                assert _event(resource)["Properties"][key] == value
            else:
                assert invoke[key] == value, (function, key)


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_every_packaged_function_gets_a_log_group_and_its_alarms(packaged, stage):
    resources = _template(packaged, stage)["Resources"]
    functions = [k for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == len([f for f in functions if f"{f}LogGroup" in resources]), (
        "a function without a log group"
    )
    for function in functions:
        group = resources[f"{function}LogGroup"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
        assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
        for metric in ("Errors", "Duration"):
            alarm = resources[f"{function}{metric}Alarm"]["Properties"]
            assert alarm["MetricName"] == metric
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
            assert alarm["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]
        throttles = resources[f"{function}ThrottlesAlarm"]["Properties"]  # a share: metric math
        assert {
            m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]["Dimensions"]
            for m in throttles["Metrics"]
            if "MetricStat" in m
        } == {
            name: [{"Name": "FunctionName", "Value": {"Ref": function}}]
            for name in ("Throttles", "Invocations")
        }
        assert throttles["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]


def test_the_template_names_no_region_or_account(packaged):
    # GIVEN packaging ran with no AWS settings at all (see conftest)
    text = (packaged["dev"] / "sam.json").read_text()
    # THEN every ARN is completed by CloudFormation, none was guessed while packaging
    assert "us-east-1" not in text and "123456789012" not in text
    assert "${AWS::Region}" in text and "${AWS::AccountId}" in text


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_the_api_stage_is_throttled_as_declared(packaged, config, stage):
    declared = config["stages"][stage]["api_gateway_throttling"]
    api = _template(packaged, stage)["Resources"]["RestAPI"]["Properties"]
    assert api["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": declared["rate_limit"],
            "ThrottlingBurstLimit": declared["burst_limit"],
        }
    ]


def _lambda_platform(packaged: dict[str, Path]) -> tuple[str, str]:
    """(runtime, architecture) of every function in dev's template, e.g. python3.11, x86_64."""
    functions = [
        r["Properties"]
        for r in _template(packaged, "dev")["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    ]
    [platform] = {(f["Runtime"], *f.get("Architectures", ["x86_64"])) for f in functions}
    return platform


def test_the_deployed_zip_carries_the_schemas_and_a_native_wheel_for_lambdas_platform(packaged):
    # GIVEN dev's deployment package
    with ZipFile(packaged["dev"] / "deployment.zip") as zipped:
        names = zipped.namelist()
        # THEN the contract's schemas are in it, byte for byte the source's
        for source in sorted((PROJECT_DIR / "contract" / "events").glob("*.json")):
            assert zipped.read(f"chalicelib/contract/schemas/{source.name}") == (
                source.read_bytes()
            )
        # AND jsonschema's native dependency (rpds-py) is a wheel for the functions' runtime
        # and architecture, not for the machine that packaged it
        [wheel] = [n for n in names if re.fullmatch(r"rpds_py-[^/]+\.dist-info/WHEEL", n)]
        tags = [
            line[5:] for line in zipped.read(wheel).decode().splitlines() if line[:5] == "Tag: "
        ]
    runtime, architecture = _lambda_platform(packaged)
    python = "cp" + runtime.removeprefix("python").replace(".", "")
    assert tags and all(
        re.fullmatch(rf"{python}-{python}-manylinux(2014|_2_\d+)_{architecture}", tag)
        for tag in tags
    ), tags
    assert f"rpds/rpds.cpython-{python[2:]}-{architecture}-linux-gnu.so" in names


def test_the_deployed_zip_checks_a_record_with_nothing_but_itself(packaged, tmp_path):
    # GIVEN dev's deployment package unpacked, and an interpreter of the functions' runtime
    runtime, _ = _lambda_platform(packaged)
    if f"python{sys.version_info.major}.{sys.version_info.minor}" != runtime:
        pytest.skip(f"this interpreter is not the functions' runtime {runtime}")
    with ZipFile(packaged["dev"] / "deployment.zip") as zipped:
        zipped.extractall(tmp_path)
    # WHEN the contract check runs with only the package on its path (no site-packages)
    script = (
        "import json, sys; from chalicelib.contract import check_event\n"
        "for record in json.loads(sys.stdin.read()):\n"
        "    try: check_event(record); print('ok')\n"
        "    except Exception as err: print(type(err).__name__, err)\n"
    )
    good = {
        "type": "yubl-posted",
        "yubl": {
            "yubl_id": "1795447800123-9f2c4e1a0b3d",
            "author_id": "alice",
            "text": "hello",
            "posted_at": "2026-11-23T16:30:00.791339+01:00",
        },
    }
    bad = json.loads(json.dumps(good))
    bad["yubl"]["posted_at"] = "2026-13-23T15:30:00Z"
    done = subprocess.run(
        [
            sys.executable,
            "-S",
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{script}",
        ],
        input=json.dumps([good, bad]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it accepts the good record and refuses the bad one by its format, naming the field
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "ok",
        "InvalidInput yubl.posted_at: is not a valid date and time: '2026-13-23T15:30:00Z'",
    ]

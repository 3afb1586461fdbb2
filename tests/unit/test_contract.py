"""The stream's event contract: one source and its copies, the evolution rules, and the
schemas agreeing with the domain's validators on what they accept and refuse."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.contract import SCHEMAS, check_event, domain_check
from chalicelib.contract.events import _VALIDATORS
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.relationships_events import RELATIONSHIP_EVENTS
from chalicelib.domain.routing import DEFAULT_ROUTES
from contract.compat import RELEASED, incompatibilities, problems, released_versions
from contract.copies import stale_copies

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
POSTED = {
    "type": "yubl-posted",
    "yubl": {
        "yubl_id": "1795447800123-9f2c4e1a0b3d",
        "author_id": "alice",
        "text": "hello",
        "posted_at": "2026-11-23T15:30:00.123Z",
    },
    "__context__": {"x-correlation-id": "c-1", "call-chain-length": "1"},
}


def test_every_copy_of_the_contract_is_the_source_byte_for_byte():
    assert stale_copies() == [], "run `make contract` (python -m contract) and commit the copies"


def test_the_current_schemas_keep_the_evolution_rules_against_every_released_version():
    assert problems() == []
    assert {p.name for p in RELEASED.iterdir()} == set(SCHEMAS)  # every type has releases


def _released(event_type: str = "yubl-posted") -> dict:
    return released_versions(event_type)[(1, 0)]


def _changed(change) -> dict:
    schema = copy.deepcopy(_released())
    change(schema)
    return schema


def _yubl(schema: dict) -> dict:
    return schema["properties"]["yubl"]


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda s: _yubl(s)["required"].append("lang"), "$.yubl: newly required lang"),
        (
            lambda s: _yubl(s)["properties"]["text"].update(maxLength=1000),
            "$.yubl.text: maxLength 2000 lowered to 1000",
        ),
        (
            lambda s: _yubl(s)["properties"]["text"].update(minLength=2),
            "$.yubl.text: minLength 1 raised to 2",
        ),
        (
            lambda s: _yubl(s)["properties"]["author_id"].update(pattern="^[a-z]{1,64}$"),
            "$.yubl.author_id: pattern '^[A-Za-z0-9_-]{1,64}$' became '^[a-z]{1,64}$'",
        ),
        (
            lambda s: _yubl(s)["properties"]["posted_at"].update(type="integer"),
            "$.yubl.posted_at: type ['string'] narrowed to ['integer']",
        ),
        (
            lambda s: _yubl(s).update(additionalProperties={"type": "string"}),
            "$.yubl.*: True became {'type': 'string'}",
        ),
        (
            lambda s: _yubl(s)["properties"].update(text={"anyOf": [{"type": "string"}]}),
            "$.yubl.text: cannot prove a change that uses anyOf",
        ),
    ],
)
def test_the_compatibility_check_finds_a_change_that_refuses_released_records(change, found):
    assert found in incompatibilities(_released(), _changed(change))


def test_an_added_optional_field_is_a_compatible_change():
    def add_lang(schema):
        _yubl(schema)["properties"]["lang"] = {"type": "string", "pattern": "^[a-z]{2}$"}

    assert incompatibilities(_released(), _changed(add_lang)) == []


def test_every_routed_event_type_has_a_schema_with_its_identity_and_partition_key():
    assert set(DEFAULT_ROUTES) | RELATIONSHIP_EVENTS == set(SCHEMAS)
    for event_type, schema in SCHEMAS.items():
        body_key = next(k for k in schema["required"] if k != "type")
        fields = {f"{body_key}.{name}" for name in schema["properties"][body_key]["properties"]}
        assert set(schema["x-identity"]["fields"]) <= fields, event_type
        assert schema["x-partition-key"]["field"] in fields, event_type


def test_today_records_without_a_version_keep_the_contract():
    assert check_event(copy.deepcopy(POSTED)) == POSTED


def test_a_newer_minor_version_with_additive_fields_is_accepted_and_handed_on_as_it_came():
    record = copy.deepcopy(POSTED)
    record["schema_version"] = "1.4"
    record["yubl"]["lang"] = "en"  # a field a later minor version adds
    record["client"] = {"app": "ios"}
    assert check_event(record) is record


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            "2.0",
            "schema_version: major version 2 is unknown to this dispatcher (it reads 1.x): "
            "deploy a dispatcher that reads 2.0, then re-drive",
        ),
        ("1", "schema_version: must be MAJOR.MINOR like '1.0', got '1'"),
        (1.0, "schema_version: must be MAJOR.MINOR like '1.0', got 1.0"),
    ],
)
def test_an_unknown_major_or_a_garbled_version_is_refused_with_its_reason(version, message):
    with pytest.raises(InvalidInput) as refused:
        check_event({**POSTED, "schema_version": version})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("author_id", "alice\n", "yubl.author_id: must be 1-64 characters of A-Z, a-z, 0-9, "),
        ("text", "", "yubl.text: must be 1-2000 characters"),
        ("yubl_id", None, "yubl.yubl_id: must be a string"),
        ("posted_at", "2026-02-30T00:00:00Z", "yubl.posted_at: is not a valid date and time"),
    ],
)
def test_a_refused_record_gets_the_domain_s_message_naming_the_field(field, value, message):
    record = copy.deepcopy(POSTED)
    record["yubl"][field] = value
    with pytest.raises(InvalidInput) as refused:
        check_event(record)
    assert str(refused.value).startswith(message)


def test_the_format_checker_is_on_a_pattern_alone_would_accept_february_30():
    record = copy.deepcopy(POSTED)
    record["yubl"]["posted_at"] = "2026-02-30T00:00:00Z"
    [error] = list(_VALIDATORS["yubl-posted"].iter_errors(record))
    assert (error.validator, list(error.absolute_path)) == ("format", ["yubl", "posted_at"])


# -- the schemas and the domain validators agree -------------------------------------------

LATER = datetime(3001, 1, 1, tzinfo=UTC)
"""The reader's clock for the comparison: past every time the schemas allow, so the one
rule about time JSON Schema cannot state (not in the future) never applies."""

TRICKY = [
        None, 0, 1.5, True, [], {}, "", "a", "a" * 65, "alice\n", "al ice", "ålice",
        "1795447800123-9F2C4E1A0B3D", "1795447800123-9f2c4e1a0b3d\n", "x" * 2001,
        "2026-11-23T15:30:00Z", "2026-11-23T15:30:00.123456789+05:30", "2026-02-30T00:00:00Z",
        "2026-11-23T23:59:60Z", "2026-11-23t15:30:00z", "2026-11-23T15:30:00Z\n",
        "1969-12-31T23:59:59Z", "2026-11-23T15:30:00+24:00", "2026-11-23T15:30:00+01:60",
        "2026-13-01T00:00:00Z", "2026-11-23 15:30:00Z", "3000-01-01T00:00:00Z",
        "1.0", "1.12", "01.0", "2.0", "2026-11-23T15:30:00.1234567Z",
        "2026-11-23T15:30:00.1234567890Z", "2026-11-23T15:30:00.Z", "0", "_-", "a" * 64,
    ]  # fmt: skip
_TRICKY = st.sampled_from(TRICKY)


def _static_verdict(record: object) -> bool:
    """The domain's verdict, less the other rule JSON Schema cannot state (two fields
    compared: a user does not follow themselves), which is taken away first."""
    try:
        relationship = record.get("relationship") if isinstance(record, dict) else None
        if isinstance(relationship, dict) and relationship.get("follower_id", 0) == (
            relationship.get("user_id")
        ):
            relationship["user_id"] = f"{relationship['user_id']}-other"[-64:]
        domain_check(record, LATER)
    except InvalidInput:
        return False
    return True


def _schema_verdict(event_type: str, record: object) -> bool:
    return not any(_VALIDATORS[event_type].iter_errors(record))


def _offsets():
    minutes = st.integers(-(23 * 60 + 59), 23 * 60 + 59)
    return minutes.map(lambda m: timezone(timedelta(minutes=m)))


def _times():
    moments = st.datetimes(datetime(1970, 1, 2), datetime(2999, 12, 30), timezones=_offsets())
    return moments.map(lambda moment: moment.isoformat().replace("+00:00", "Z"))


def from_schema(schema: dict):
    """Records of one of the contract's schemas (the keywords they use); written here as
    hypothesis-jsonschema 0.23 no longer runs on current Hypothesis."""
    if "const" in schema:
        return st.just(schema["const"])
    if schema.get("type") == "object" and "properties" not in schema:
        return st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=3)
    if schema.get("type") == "object":
        properties, required = schema["properties"], schema.get("required", [])
        return st.fixed_dictionaries(
            {name: from_schema(properties[name]) for name in required},
            optional={n: from_schema(p) for n, p in properties.items() if n not in required},
        )
    if schema.get("format") == "date-time":
        return st.one_of(_times(), st.from_regex(schema["pattern"], fullmatch=True))
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 50))


def _examples(event_type: str) -> list[dict]:
    """A valid record of the type with each of its fields, and each top-level key, set to
    each tricky value in turn, or removed."""
    valid = {
        "yubl-posted": POSTED,
        "yubl-deleted": {
            "type": "yubl-deleted",
            "yubl": {"yubl_id": POSTED["yubl"]["yubl_id"], "author_id": "alice",
                     "deleted_at": "2026-11-23T15:31:00Z"},
        },
    }.get(event_type) or {
        "type": event_type,
        "relationship": {"user_id": "alice", "follower_id": "bob",
                         "changed_at": "2026-11-23T15:31:00Z"},
    }  # fmt: skip
    body_key = next(k for k in valid if k not in ("type", "__context__"))
    examples = []
    for name in [*valid[body_key], None]:
        for value in [*TRICKY, KeyError]:
            record = copy.deepcopy(valid)
            target = record if name is None else record[body_key]
            key = name or "schema_version"
            if value is KeyError:
                target.pop(key, None)
            else:
                target[key] = value
            examples.append(record)
    return examples


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_the_schema_and_the_domain_validators_agree_on_each_tricky_value_in_each_field(
    event_type,
):
    disagree = [
        record
        for record in _examples(event_type)
        if _schema_verdict(event_type, record) != _static_verdict(copy.deepcopy(record))
    ]
    assert disagree == []


@st.composite
def _mutated(draw, event_type: str):
    """A record of the schema, then maybe one field replaced, removed or added."""
    record = draw(from_schema(SCHEMAS[event_type]))
    body_key = next(k for k in record if k not in ("type", "schema_version", "__context__"))
    action = draw(st.sampled_from(["keep", "replace", "remove", "add", "top"]))
    if action == "keep":
        return record
    if action == "top":
        key = draw(st.sampled_from(["schema_version", "__context__", body_key, "extra"]))
        record[key] = draw(st.one_of(_TRICKY, st.text(max_size=8)))
        return record
    body = record[body_key]
    name = draw(st.sampled_from(sorted(body)))
    if action == "replace":
        body[name] = draw(st.one_of(_TRICKY, st.text(max_size=70)))
    elif action == "remove":
        del body[name]
    else:
        body[draw(st.text(min_size=1, max_size=8))] = draw(_TRICKY)
    return record


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_the_schema_and_the_domain_validators_accept_and_refuse_the_same_records(event_type):
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(record=_mutated(event_type))
    def agree(record):
        record = json.loads(json.dumps(record))
        schema_says = _schema_verdict(event_type, record)
        assert schema_says == _static_verdict(copy.deepcopy(record)), record

    agree()


def _refs(node, found):
    if isinstance(node, dict):
        if "$ref" in node:
            found.append(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_the_asyncapi_document_describes_every_event_and_group_topic_and_its_refs_resolve():
    import yaml

    from contract.copies import SOURCE
    from devstack.stack import PROJECT_DIR

    doc = yaml.safe_load((SOURCE / "asyncapi.yaml").read_text())
    assert doc["asyncapi"] == "3.0.0"
    files = {ref for ref in _refs(doc, []) if not ref.startswith("#")}
    assert files == {f"./events/{event_type}.json" for event_type in SCHEMAS}
    for ref in _refs(doc, []):
        if ref.startswith("#"):
            node = doc
            for part in ref[2:].split("/"):
                node = node[part]
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    stage = config["stages"]["dev"]["environment_variables"]
    topics = {
        **json.loads(stage["GROUP_TOPICS"]),
        **{f"{g}-priority": t for g, t in json.loads(stage["PRIORITY_GROUP_TOPICS"]).items()},
    }
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {f"{group}-{{stage}}" for group in topics} | {"yubl-posted-{stage}"} == addresses


def _asyncapi_3_schema() -> dict:
    """The AsyncAPI 3.0.0 JSON Schema of @asyncapi/specs (npm), which make install keeps
    as its tarball in .venv: read from it, no network."""
    import sys
    import tarfile
    from pathlib import Path

    tarballs = sorted(Path(sys.prefix).glob("asyncapi-specs-*.tgz"))
    assert len(tarballs) == 1, f"run make install: one @asyncapi/specs tarball, found {tarballs}"
    with tarfile.open(tarballs[0]) as tarball:
        member = tarball.extractfile("package/schemas/3.0.0-without-$id.json")
        assert member is not None
        return json.load(member)


def test_the_asyncapi_document_is_valid_against_the_asyncapi_3_json_schema():
    import yaml
    from jsonschema.validators import validator_for

    from contract.copies import SOURCE

    schema = _asyncapi_3_schema()
    validator = validator_for(schema)(schema)
    doc = yaml.safe_load((SOURCE / "asyncapi.yaml").read_text())
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)] == []
    # the schema does refuse: an operation without its action, a channel address not a string
    broken = copy.deepcopy(doc)
    del broken["operations"]["publishToStream"]["action"]
    broken["channels"]["stream"]["address"] = 42
    assert not validator.is_valid(broken)


def test_the_docs_hook_renders_each_schema_in_place_of_the_marker():
    import importlib.util
    from types import SimpleNamespace

    from devstack.stack import PROJECT_DIR

    spec = importlib.util.spec_from_file_location(
        "event_schemas", PROJECT_DIR / "docs" / "hooks" / "event_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = SimpleNamespace(file=SimpleNamespace(src_uri="event-schemas.md"))
    source = (PROJECT_DIR / "docs" / "event-schemas.md").read_text()
    rendered = hook.on_page_markdown(source, page, {"docs_dir": str(PROJECT_DIR / "docs")}, None)
    assert hook.MARKER not in rendered
    for event_type in SCHEMAS:
        assert f"## `{event_type}` {{#{event_type}}}" in rendered
    assert "| `yubl.posted_at` | string (date-time) | yes |" in rendered

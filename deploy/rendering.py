"""One description of the stage's monitoring, written two ways: into a template, or as
the values the CloudWatch and Logs APIs take.

The alarms, the dashboard and the saved queries are described once (``deploy.alarms``,
``deploy.dashboard``, ``deploy.log_queries``) with the few things that differ between
the two paths left open: a function's name (a ``Ref`` in Chalice's SAM template, the
deployed name for ``chalice deploy``), a stage setting (a template parameter, or its
declared value) and the runbook link built from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from deploy.observed import Function

__all__ = ["ApiRender", "Param", "Render", "TemplateRender"]


@dataclass(frozen=True)
class Param:
    """A stage setting that the SAM template takes as a parameter."""

    name: str  # the template parameter
    value: Any  # the stage's declared value (the parameter's default)


class Render(Protocol):
    @property
    def region(self) -> str:
        """The Region, as it goes into a dashboard body."""

    def value(self, value: Any) -> Any:
        """A threshold or count: a ``Param`` resolved, anything else as it is."""

    def function(self, function: Function) -> Any:
        """A function's name as a dimension value."""

    def function_text(self, function: Function) -> str:
        """A function's name inside a text (a dashboard body)."""

    def value_text(self, value: Any) -> str:
        """A number inside a text (a dashboard body)."""

    def described(self, text: str, anchor: str) -> Any:
        """``text`` and the link to the runbook section ``anchor``."""


def _runbook_line(base: str, anchor: str) -> str:
    return f" Runbook: {base}#{anchor}"


@dataclass(frozen=True)
class TemplateRender:
    """For Chalice's SAM template: ``Ref`` and ``${...}`` for CloudFormation to fill in."""

    region: str = "${AWS::Region}"

    def value(self, value: Any) -> Any:
        return {"Ref": value.name} if isinstance(value, Param) else value

    def function(self, function: Function) -> Any:
        return {"Ref": function.logical_id}

    def function_text(self, function: Function) -> str:
        return f"${{{function.logical_id}}}"

    def value_text(self, value: Any) -> str:
        return f"${{{value.name}}}" if isinstance(value, Param) else str(value)

    def described(self, text: str, anchor: str) -> Any:
        return {"Fn::Sub": text + _runbook_line("${RunbookBaseUrl}", anchor)}


@dataclass(frozen=True)
class ApiRender:
    """For the API calls of ``make deploy``: every value as the stage declares it."""

    region: str
    runbook_base_url: str

    def value(self, value: Any) -> Any:
        return value.value if isinstance(value, Param) else value

    def function(self, function: Function) -> Any:
        return function.deployed_name

    def function_text(self, function: Function) -> str:
        return function.deployed_name

    def value_text(self, value: Any) -> str:
        return str(self.value(value))

    def described(self, text: str, anchor: str) -> Any:
        return text + _runbook_line(self.runbook_base_url, anchor)

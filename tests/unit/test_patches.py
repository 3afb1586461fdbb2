"""devstack.patches: what is replaced is moto's again after ``restore``, the same object,
however many attributes of however many owners were replaced."""

from __future__ import annotations

import types

from devstack.patches import Patches


class Owner:
    def method(self) -> str:
        return "stock"

    @property
    def value(self) -> str:
        return "stock"


def test_replaced_attributes_are_restored_to_the_same_objects():
    module = types.SimpleNamespace(helper=len)
    stock = (Owner.__dict__["method"], Owner.__dict__["value"], module.helper)
    patches = Patches()
    assert not patches
    patches.replace(Owner, "method", lambda self: "patched")
    patches.replace(Owner, "value", property(lambda self: "patched"))
    patches.replace(module, "helper", sum)
    assert patches
    assert (Owner().method(), Owner().value, module.helper) == ("patched", "patched", sum)
    patches.restore()
    assert not patches
    assert (Owner.__dict__["method"], Owner.__dict__["value"], module.helper) == stock
    assert (Owner().method(), Owner().value) == ("stock", "stock")

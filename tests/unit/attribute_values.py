"""Random DynamoDB ``AttributeValue``s of every type, for the tests that compare the
emulator's speed-ups with moto's own code."""

from __future__ import annotations

import random
from typing import Any

__all__ = ["random_value", "storable", "typed"]


def random_value(draw: random.Random, depth: int = 0) -> dict:
    kinds = ["S", "N", "B", "SS", "NS", "BS", "NULL", "BOOL"] + (["M", "L"] if depth < 3 else [])
    kind = draw.choice(kinds)
    text = "".join(draw.choice('aé\u20ac💡 \n"\\x') for _ in range(draw.randint(0, 6)))
    if kind == "S":
        return {"S": text}
    if kind == "N":
        return {"N": str(draw.choice([0, -1, 1.5, 10**20, draw.random()]))}
    if kind == "B":
        return {
            "B": draw.choice([text.encode(), bytes(draw.randint(0, 255) for _ in range(5)), text])
        }
    if kind == "SS":
        return {"SS": [text, text + "1"]}
    if kind == "NS":
        return {"NS": ["1", "2.5"]}
    if kind == "BS":
        return {"BS": [b"\x00\x01", text.encode() + b"!"]}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "BOOL":
        return {"BOOL": draw.choice([True, False])}
    if kind == "M":
        members = {f"k{n}{text}": random_value(draw, depth + 1) for n in range(draw.randint(0, 3))}
        if draw.random() < 0.2:
            members["gone"] = None
        return {"M": members}
    items: list = [random_value(draw, depth + 1) for _ in range(draw.randint(0, 3))]
    if draw.random() < 0.2:
        items.append(None)
    return {"L": items}


def storable(value: Any) -> Any:
    """A random value as moto stores one it was sent: without the None members a stored
    item cannot hold, and a binary value as bytes (moto decodes the wire's base64)."""
    if isinstance(value, dict) and isinstance(value.get("B"), str):
        return {"B": value["B"].encode()}
    if isinstance(value, dict) and "M" in value:
        return {"M": {k: storable(v) for k, v in value["M"].items() if v is not None}}
    if isinstance(value, dict) and "L" in value:
        return {"L": [storable(v) for v in value["L"] if v is not None]}
    return value


def typed(value: Any) -> Any:
    """``value`` with each part's type beside it: ``1 == True`` hides no difference."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(x)) for key, x in value.items()])
    if isinstance(value, list):
        return ("list", [typed(x) for x in value])
    return (type(value).__name__, value)

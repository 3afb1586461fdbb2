"""Short codes: a counter value, permuted by a keyed Feistel network, in a clear alphabet.

Codes come from a counter, so they stay short; the permutation hides the counter's
order, so the next code cannot be guessed from the last. Codes of length ``L`` cover
exactly ``len(ALPHABET) ** L`` counter values: value 0 is the first 4-character code,
and the codes grow by one character once every code of a length is used. Written by
hand because no maintained library offers a keyed, format-preserving permutation of an
arbitrary integer range (the FF1/FF3 packages want decimal or fixed radix strings and
a 128-bit AES key, and pull in a crypto backend for something that needs none).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["ALPHABET", "MIN_LENGTH", "code_for", "decode", "encode", "permute"]

# Nano ID's "nolookalikes" set less "z": no 0 O o, 1 I l, 2 Z z, 5 S s, u v. 48 characters.
ALPHABET = "346789ABCDEFGHJKLMNPQRTUVWXYabcdefghijkmnpqrtwxy"
MIN_LENGTH = 4
_ROUNDS = 4


def encode(value: int, length: int) -> str:
    """``value`` in base ``len(ALPHABET)``, left-padded to ``length`` characters."""
    if not 0 <= value < len(ALPHABET) ** length:
        raise ValueError(f"{value} does not fit in {length} characters")
    digits = []
    for _ in range(length):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def decode(code: str) -> int:
    value = 0
    for char in code:
        value = value * len(ALPHABET) + ALPHABET.index(char)
    return value


def _round(key: bytes, round_no: int, half: int, bits: int) -> int:
    digest = hmac.new(key, f"{round_no}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") & ((1 << bits) - 1)


def _feistel(value: int, key: bytes, half_bits: int) -> int:
    mask = (1 << half_bits) - 1
    left, right = value >> half_bits, value & mask
    for round_no in range(_ROUNDS):
        left, right = right, left ^ _round(key, round_no, right, half_bits)
    return (left << half_bits) | right


def permute(value: int, domain: int, key: bytes) -> int:
    """A keyed bijection of ``range(domain)``: a balanced Feistel network with cycle walking.

    The network permutes the smallest even-width bit range that holds ``domain``; a
    result outside ``domain`` is permuted again until it falls inside (fewer than four
    steps on average), which keeps the map a bijection of ``range(domain)``.
    """
    if not 0 <= value < domain:
        raise ValueError(f"{value} is outside range({domain})")
    half_bits = max(1, ((domain - 1).bit_length() + 1) // 2)
    result = _feistel(value, key, half_bits)
    while result >= domain:
        result = _feistel(result, key, half_bits)
    return result


def code_for(counter: int, key: bytes) -> str:
    """The code of counter value ``counter`` (0, 1, 2, ...): distinct counters, distinct codes."""
    if counter < 0:
        raise ValueError("counter values start at 0")
    length, offset = MIN_LENGTH, counter
    while offset >= len(ALPHABET) ** length:
        offset -= len(ALPHABET) ** length
        length += 1
    return encode(permute(offset, len(ALPHABET) ** length, key), length)

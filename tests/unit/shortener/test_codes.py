"""Codes: the alphabet, base-48 encoding, and the keyed permutation of the counter space."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.shortener.codes import ALPHABET, code_for, decode, encode, permute

KEY = b"unit-test-key-0123456789"


def test_alphabet_has_48_distinct_characters_and_no_look_alikes():
    assert len(ALPHABET) == len(set(ALPHABET)) == 48
    assert set(ALPHABET) & set("0Oo1Il2Zz5Ssuv") == set()


def test_encode_is_base_48_left_padded_and_decode_inverts_it():
    assert encode(0, 4) == "3333"
    assert encode(47, 4) == "333y"
    assert encode(48, 4) == "3343"  # 1*48 + 0
    assert decode("3343") == 48
    assert [decode(encode(v, 5)) for v in (0, 7, 123_456, 48**5 - 1)] == [0, 7, 123_456, 48**5 - 1]
    with pytest.raises(ValueError):
        encode(48**4, 4)


@pytest.mark.parametrize("domain", [1, 2, 48, 1000, 2401, 4097])
def test_permute_is_a_bijection_of_the_domain(domain):
    assert sorted(permute(v, domain, KEY) for v in range(domain)) == list(range(domain))


def test_permutation_depends_on_the_key_and_hides_the_order():
    first = [permute(v, 48**4, KEY) for v in range(50)]
    other = [permute(v, 48**4, b"another-key-0123456789") for v in range(50)]
    assert first != other
    # consecutive counters land far apart, not on consecutive values
    assert sum(1 for a, b in itertools.pairwise(first) if abs(a - b) < 1000) <= 2


def test_codes_start_at_four_characters_and_grow_by_one_after_every_code_of_a_length():
    assert len(code_for(0, KEY)) == 4
    assert len(code_for(48**4 - 1, KEY)) == 4
    assert len(code_for(48**4, KEY)) == 5
    around = range(48**4 - 500, 48**4 + 500)
    codes = {code_for(c, KEY) for c in around}
    assert len(codes) == 1000
    assert all(set(code) <= set(ALPHABET) for code in codes)

"""The k-way merge of newest-first sources behind the hybrid feed read."""

from __future__ import annotations

import random

import pytest

from chalicelib.domain.feed_merge import SourcePage, merge_newest_first


def _before(keys: list[str], limit: int, before: str | None) -> SourcePage[str]:
    """A source as the contract wants it: its newest ``limit`` keys below ``before``."""
    older = sorted((k for k in keys if before is None or k < before), reverse=True)
    return SourcePage(older[:limit], more=len(older) > limit)


def _walk(sources: list[list[str]], limit: int) -> list[list[str]]:
    pages, before = [], None
    while True:
        merged = merge_newest_first(
            [_before(keys, limit, before) for keys in sources], limit, key=str
        )
        pages.append(merged.items)
        if merged.before is None:
            return pages
        before = merged.before


def test_two_sources_interleave_newest_first_up_to_the_limit():
    # GIVEN a feed and one celebrity's posts
    feed = SourcePage(["09", "05", "02"], more=False)
    celebrity = SourcePage(["08", "07", "01"], more=False)
    # WHEN three items are asked for
    merged = merge_newest_first([feed, celebrity], 3, key=str)
    # THEN the three newest of both, and the next page starts before the last of them
    assert merged.items == ["09", "08", "07"]
    assert merged.before == "07"


def test_the_last_page_has_no_position_even_when_it_is_full():
    merged = merge_newest_first(
        [SourcePage(["4", "2"], more=False), SourcePage(["3"], more=False)], 3, key=str
    )
    assert (merged.items, merged.before) == (["4", "3", "2"], None)


def test_a_source_with_more_keeps_the_page_open_though_the_merge_holds_no_more():
    merged = merge_newest_first(
        [SourcePage(["4"], more=False), SourcePage(["3", "2"], more=True)], 3, key=str
    )
    assert (merged.items, merged.before) == (["4", "3", "2"], "2")


def test_a_yubl_in_two_sources_is_one_item_the_first_sources():
    feed = SourcePage([("5", "feed"), ("3", "feed")], more=False)
    pulled = SourcePage([("5", "pulled"), ("4", "pulled")], more=False)
    merged = merge_newest_first([feed, pulled], 10, key=lambda item: item[0])
    assert merged.items == [("5", "feed"), ("4", "pulled"), ("3", "feed")]
    assert merged.before is None


def test_no_sources_or_empty_sources_give_an_empty_last_page():
    assert merge_newest_first([], 5, key=str).items == []
    merged = merge_newest_first([SourcePage([], more=False)], 5, key=str)
    assert (merged.items, merged.before) == ([], None)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        merge_newest_first([SourcePage(["1"], more=False)], 0, key=str)


@pytest.mark.parametrize("seed", range(20))
def test_paging_through_random_sources_gives_their_union_once_in_order(seed):
    # GIVEN sources with overlapping ids (a post both fanned out and pulled)
    rng = random.Random(seed)
    universe = [f"{n:013d}-{rng.randrange(16**12):012x}" for n in range(60)]
    sources = [rng.sample(universe, rng.randrange(0, 30)) for _ in range(rng.randrange(1, 5))]
    limit = rng.randrange(1, 8)
    # WHEN every page is read
    pages = _walk(sources, limit)
    # THEN each page is full but the last, and together they are the distinct union
    # in descending order: no duplicate, no gap
    expected = sorted({k for keys in sources for k in keys}, reverse=True)
    assert [k for page in pages for k in page] == expected
    assert all(len(page) == limit for page in pages[:-1])

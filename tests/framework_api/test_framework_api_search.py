"""Search ranks by relevance (issue 6 §8): searching "compassion" lists the value Compassion first
(it came tenth, in code order), then statements starting with the text, then statements with a
word starting with it, then every other match; cursor pages keep that order."""

from __future__ import annotations

import pytest

READ = "framework:read"


def relevance(item: dict, text: str) -> int:
    statement, code = item["statement"].lower(), item["code"].lower()
    if text in (statement, code):
        return 0
    if statement.startswith(text):
        return 1
    if f" {text}" in statement:
        return 2
    return 3


@pytest.fixture(scope="module")
def items_url(seeded):
    _, version = seeded
    return f"/versions/{version['id']}/items"


def search(client, keys, url: str, **params) -> list[dict]:
    return client.get(url, params={"limit": 500, **params}, headers=keys.headers(READ)).json()["items"]


def test_the_exact_match_comes_first_then_prefix_then_word_then_the_rest(client, keys, items_url):
    found = search(client, keys, items_url, q="Compassion")
    assert found[0]["statement"] == "Compassion" and found[0]["type"] == "value"
    ranks = [relevance(item, "compassion") for item in found]
    assert ranks == sorted(ranks)
    assert {1, 2, 3} <= set(ranks), "the seed has prefix, word and other matches of compassion"
    for rank in set(ranks):
        codes = [item["code"] for item, r in zip(found, ranks, strict=True) if r == rank]
        assert codes == sorted(codes), "within a rank, by code as before"


def test_an_exact_code_ranks_first(client, keys, items_url):
    assert search(client, keys, items_url, q="v4")[0]["code"] == "V4"


def test_cursor_pages_of_a_search_keep_the_ranking(client, keys, items_url):
    everything = [item["code"] for item in search(client, keys, items_url, q="compassion")]
    headers = keys.headers(READ)
    seen, page = [], client.get(items_url, params={"q": "compassion", "limit": 3}, headers=headers).json()
    while True:
        seen += [item["code"] for item in page["items"]]
        if not page["next"]:
            break
        page = client.get(page["next"], headers=headers).json()
    assert seen == everything and len(seen) > 3


def test_like_wildcards_in_the_text_are_taken_literally(client, keys, items_url):
    assert search(client, keys, items_url, q="%") == []
    assert search(client, keys, items_url, q="_") == []

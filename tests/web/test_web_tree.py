"""The pure helpers on a version's item tree."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from collective_clients.framework.models import ItemNode
from web.frameworks.tree import count_items, filter_by_audience, item_types

AUDIENCES = ["all_staff", "team_leaders", "senior_system_leaders"]


def node(code: str, audience: str = "all_staff", children=(), kind: str = "capability") -> ItemNode:
    return ItemNode.model_validate(
        {
            "identifier": uuid.uuid4(),
            "type": kind,
            "code": code,
            "statement": code,
            "audience": audience,
            "sequence": 0,
            "children": list(children),
        }
    )


TREE = [
    node(
        "C1",
        kind="component",
        children=[node("C1.AS.1"), node("C1.TL.1", "team_leaders"), node("C1.SL.1", "senior_system_leaders")],
    ),
    node("V1", kind="value", children=[node("V1.B1", kind="behaviour")]),
]


def codes(nodes):
    return [(n.code, codes(n.children)) for n in nodes]


def test_no_audience_is_the_whole_tree():
    assert filter_by_audience(TREE, None) == TREE
    assert count_items(TREE) == 6


def test_an_audience_keeps_its_items_and_their_ancestors():
    assert codes(filter_by_audience(TREE, "team_leaders")) == [("C1", [("C1.TL.1", [])])]
    assert codes(filter_by_audience(TREE, "all_staff")) == [("C1", [("C1.AS.1", [])]), ("V1", [("V1.B1", [])])]


def test_types_in_order_first_met():
    assert item_types(TREE) == ["component", "capability", "value", "behaviour"]


trees = st.recursive(
    st.builds(lambda a: node("x", a), st.sampled_from(AUDIENCES)),
    lambda children: st.builds(
        lambda a, kids: node("x", a, kids), st.sampled_from(AUDIENCES), st.lists(children, max_size=3)
    ),
    max_leaves=15,
)


@given(st.lists(trees, max_size=4), st.sampled_from(AUDIENCES))
def test_filtering_keeps_exactly_the_items_of_the_audience(forest, audience):
    def matching(nodes):
        return sum((n.audience == audience) + matching(n.children) for n in nodes)

    filtered = filter_by_audience(forest, audience)
    assert matching(filtered) == matching(forest)

    def leaves_match(nodes):
        return all(
            (n.children and leaves_match(n.children)) or (not n.children and n.audience == audience) for n in nodes
        )

    assert leaves_match(filtered)  # nothing is kept that leads to no item of the audience

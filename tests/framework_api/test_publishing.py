"""Publication checks: every reason a draft cannot be published, named so an editor can act."""

from __future__ import annotations

import uuid

from framework_content_strategies import replace, version_contents
from hypothesis import assume, given
from hypothesis import strategies as st

from framework_api.frameworks.content import (
    ASSESSABLE_TYPES,
    ROOT_TYPES,
    AssociationContent,
    AssociationType,
    DescriptorContent,
    ItemContent,
    ItemType,
    LevelContent,
    ScaleContent,
    VersionContent,
)
from framework_api.frameworks.publishing import PROBLEM_CODES, publication_problems

NOTE = "First publication."


# --- properties ------------------------------------------------------------------------------


@given(version_contents())
def test_generated_content_has_no_problems(content):
    assert publication_problems(content, NOTE) == []


@given(version_contents(), st.sampled_from([None, "", "   ", "\n\t"]))
def test_missing_change_note_is_the_only_problem(content, note):
    problems = publication_problems(content, note)
    assert [p.code for p in problems] == ["missing-change-note"]
    assert problems[0].item is None


@given(version_contents(), st.data())
def test_removing_a_descriptor_names_that_item_and_level(content, data):
    assume(content.descriptors)
    gone = data.draw(st.sampled_from(content.descriptors))
    blank = data.draw(st.booleans())
    kept = [d for d in content.descriptors if d != gone]
    if blank:  # a blank descriptor counts as missing
        kept.append(DescriptorContent(gone.item, gone.level, "  "))
    problems = publication_problems(replace(content, descriptors=tuple(kept)), NOTE)
    assert [(p.code, p.item, p.level) for p in problems] == [("missing-descriptor", gone.item, gone.level)]
    item = content.item_by_id()[gone.item]
    assert item.code in problems[0].message
    assert f"'{gone.level}'" in problems[0].message


@given(version_contents(), st.data())
def test_removing_a_parent_makes_exactly_that_item_an_orphan(content, data):
    children = [item for item in content.items if item.type not in ROOT_TYPES]
    assume(children)
    child = data.draw(st.sampled_from(children))
    associations = tuple(
        a for a in content.associations if not (a.type == AssociationType.is_child_of and a.origin == child.identifier)
    )
    problems = publication_problems(replace(content, associations=associations), NOTE)
    assert [(p.code, p.item) for p in problems] == [("orphaned-item", child.identifier)]
    assert child.code in problems[0].message


@given(version_contents(), st.data())
def test_a_scale_without_exactly_one_threshold_is_the_only_problem(content, data):
    assert content.scale is not None
    marked = data.draw(st.sets(st.integers(0, len(content.scale.levels) - 1)))
    assume(len(marked) != 1)
    levels = tuple(
        replace(level, proficient_threshold=index in marked) for index, level in enumerate(content.scale.levels)
    )
    scale = ScaleContent(content.scale.identifier, content.scale.title, None, levels)
    problems = publication_problems(replace(content, scale=scale), NOTE)
    assert [p.code for p in problems] == ["threshold-level"]


@given(version_contents())
def test_problems_come_in_rule_order_then_code_order(content):
    # Break everything at once: no note, no threshold, no descriptors, no parents.
    assert content.scale is not None
    levels = tuple(replace(level, proficient_threshold=False) for level in content.scale.levels)
    broken = replace(
        content,
        scale=ScaleContent(content.scale.identifier, content.scale.title, None, levels),
        descriptors=(),
        associations=(),
    )
    problems = publication_problems(broken, None)
    ranks = [PROBLEM_CODES.index(p.code) for p in problems]
    assert ranks == sorted(ranks)
    codes = content.item_by_id()
    for rule in ("missing-descriptor", "orphaned-item"):
        named = [codes[p.item].code for p in problems if p.code == rule]
        assert named == sorted(named)
    assessable = sum(1 for i in content.items if i.type in ASSESSABLE_TYPES)
    assert sum(p.code == "missing-descriptor" for p in problems) == assessable * len(levels)
    assert publication_problems(broken, None) == problems  # stable


# --- examples ----------------------------------------------------------------------------------

SCALE = ScaleContent(
    identifier=uuid.uuid4(),
    title="Proficiency",
    levels=(
        LevelContent("essential", 1, "Essential"),
        LevelContent("proficient", 2, "Proficient", proficient_threshold=True),
        LevelContent("strong", 3, "Strong"),
        LevelContent("exemplary", 4, "Exemplary"),
    ),
)


def item(code: str, item_type: ItemType, statement: str = "A statement", sequence: int = 1):
    return ItemContent(uuid.uuid4(), item_type, code, statement, sequence=sequence)


def child_of(child: ItemContent, parent: ItemContent) -> AssociationContent:
    return AssociationContent(uuid.uuid4(), AssociationType.is_child_of, child.identifier, parent.identifier, 1)


def all_descriptors(*items: ItemContent) -> tuple[DescriptorContent, ...]:
    return tuple(
        DescriptorContent(i.identifier, level.code, f"{i.code} at {level.code}")
        for i in items
        for level in SCALE.levels
    )


def small_framework(**changes) -> VersionContent:
    c1 = item("C1", ItemType.component)
    cap = item("C1.AS.1", ItemType.capability)
    v1 = item("V1", ItemType.value)
    content = VersionContent(
        framework_identifier=uuid.uuid4(),
        title="HSC Collective Leadership Framework",
        version="1.0.0",
        items=(c1, cap, v1),
        associations=(child_of(cap, c1),),
        scale=SCALE,
        descriptors=all_descriptors(cap, v1),
    )
    return replace(content, **changes)


def by_code(content: VersionContent) -> dict[str, ItemContent]:
    return {i.code: i for i in content.items}


def test_small_framework_is_publishable():
    assert publication_problems(small_framework(), NOTE) == []


def test_missing_descriptor_message_names_item_and_level():
    content = small_framework()
    cap = by_code(content)["C1.AS.1"]
    descriptors = tuple(d for d in content.descriptors if not (d.item == cap.identifier and d.level == "strong"))
    [problem] = publication_problems(replace(content, descriptors=descriptors), NOTE)
    assert problem.code == "missing-descriptor"
    assert problem.message == "Capability C1.AS.1 has no descriptor for level 'strong'."
    assert (problem.item, problem.level) == (cap.identifier, "strong")


def test_missing_scale_skips_descriptor_checks():
    problems = publication_problems(small_framework(scale=None), NOTE)
    assert [p.code for p in problems] == ["missing-scale"]


def test_scale_with_one_level_or_duplicate_levels_is_not_usable():
    one = ScaleContent(SCALE.identifier, "One", levels=(SCALE.levels[1],))
    content = small_framework(scale=one, descriptors=())
    codes = [p.code for p in publication_problems(content, NOTE)]
    assert codes[0] == "missing-scale"
    assert "missing-descriptor" in codes

    twice = ScaleContent(
        SCALE.identifier,
        "Twice",
        levels=(*SCALE.levels, LevelContent("strong", 3, "Strong again")),
    )
    problems = publication_problems(small_framework(scale=twice), NOTE)
    assert [p.code for p in problems] == ["missing-scale", "missing-scale"]
    assert "'strong'" in problems[0].message
    assert "position 3" in problems[1].message


def test_two_thresholds():
    levels = tuple(replace(lv, proficient_threshold=lv.position >= 2) for lv in SCALE.levels)
    scale = ScaleContent(SCALE.identifier, "Proficiency", levels=levels)
    [problem] = publication_problems(small_framework(scale=scale), NOTE)
    assert problem.code == "threshold-level"
    assert "'proficient', 'strong', 'exemplary'" in problem.message


def test_descriptor_for_unknown_level_and_unknown_item():
    content = small_framework()
    cap = by_code(content)["C1.AS.1"]
    stray = uuid.uuid4()
    extra = (
        DescriptorContent(cap.identifier, "outstanding", "Beyond the scale"),
        DescriptorContent(stray, "strong", "For nobody"),
    )
    problems = publication_problems(replace(content, descriptors=content.descriptors + extra), NOTE)
    assert [(p.code, p.item, p.level) for p in problems] == [
        ("unknown-level-descriptor", stray, "strong"),
        ("unknown-level-descriptor", cap.identifier, "outstanding"),
    ]
    assert "C1.AS.1" in problems[1].message and "'outstanding'" in problems[1].message


def test_orphan_whose_parent_is_missing_also_has_a_dangling_association():
    content = small_framework()
    c1, cap = by_code(content)["C1"], by_code(content)["C1.AS.1"]
    items = tuple(i for i in content.items if i is not c1)
    problems = publication_problems(replace(content, items=items), NOTE)
    assert [(p.code, p.item) for p in problems] == [
        ("orphaned-item", cap.identifier),
        ("dangling-association", cap.identifier),
    ]
    assert "C1.AS.1" in problems[0].message


def test_dangling_related_association():
    content = small_framework()
    v1 = by_code(content)["V1"]
    link = AssociationContent(uuid.uuid4(), AssociationType.is_related_to, v1.identifier, uuid.uuid4())
    [problem] = publication_problems(replace(content, associations=(*content.associations, link)), NOTE)
    assert (problem.code, problem.item) == ("dangling-association", v1.identifier)
    assert "V1" in problem.message and "is_related_to" in problem.message


def test_cycle_in_parents():
    content = small_framework()
    cap = by_code(content)["C1.AS.1"]
    b1 = item("B1", ItemType.behaviour)
    b2 = item("B2", ItemType.behaviour)
    content = replace(
        content,
        items=(*content.items, b1, b2),
        associations=(*content.associations, child_of(b1, b2), child_of(b2, b1)),
    )
    problems = publication_problems(content, NOTE)
    assert [(p.code, p.item) for p in problems] == [("cycle", b1.identifier)]
    assert "B1, B2" in problems[0].message

    selfish = replace(content, associations=(child_of(cap, cap),))
    codes = [(p.code, p.item) for p in publication_problems(selfish, NOTE)]
    assert ("cycle", cap.identifier) in codes


def test_duplicate_code_empty_statement_and_root_with_parent():
    content = small_framework()
    c1, v1 = by_code(content)["C1"], by_code(content)["V1"]
    twin = item("C1", ItemType.component, sequence=2)
    blank = item("C2", ItemType.component, statement="  ", sequence=3)
    content = replace(
        content,
        items=(*content.items, twin, blank),
        associations=(*content.associations, child_of(v1, c1)),
    )
    problems = publication_problems(content, NOTE)
    assert [p.code for p in problems] == ["duplicate-code", "empty-statement", "root-has-parent"]
    assert "'C1'" in problems[0].message and "2 items" in problems[0].message
    assert problems[1].item == blank.identifier and "C2" in problems[1].message
    assert problems[2].item == v1.identifier and "Value V1" in problems[2].message


def test_every_reason_is_listed_at_once():
    content = small_framework(scale=None, descriptors=())
    problems = publication_problems(content, "")
    assert [p.code for p in problems] == ["missing-change-note", "missing-scale"]
    assert set(PROBLEM_CODES) >= {p.code for p in problems}

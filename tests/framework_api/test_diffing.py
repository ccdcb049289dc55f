"""Version diff: items matched by identifier, changes sorted by code."""

from __future__ import annotations

import dataclasses
import uuid

from framework_content_strategies import descendants, parent_of, replace, version_contents
from hypothesis import assume, given
from hypothesis import strategies as st

from framework_api.frameworks.content import (
    ROOT_TYPES,
    AssociationContent,
    AssociationType,
    Audience,
    DescriptorContent,
    ItemContent,
    ItemType,
    VersionContent,
)
from framework_api.frameworks.diffing import (
    AssociationChange,
    DescriptorChange,
    FieldChange,
    ItemRef,
    Moved,
    VersionDiff,
    diff_versions,
    item_ref,
)


def subset(content: VersionContent, keep: set[uuid.UUID]) -> VersionContent:
    """The content restricted to the items in `keep` (links and descriptors follow)."""
    return replace(
        content,
        items=tuple(i for i in content.items if i.identifier in keep),
        associations=tuple(a for a in content.associations if a.origin in keep and a.destination in keep),
        descriptors=tuple(d for d in content.descriptors if d.item in keep),
    )


@given(version_contents())
def test_diff_with_itself_is_empty(content):
    diff = diff_versions(content, content)
    assert diff.is_empty()
    assert diff == VersionDiff()


@given(version_contents(), st.data())
def test_added_one_way_is_removed_the_other_way(content, data):
    ids = [i.identifier for i in content.items]
    a = subset(content, data.draw(st.sets(st.sampled_from(ids))))
    b = subset(content, data.draw(st.sets(st.sampled_from(ids))))
    forward, backward = diff_versions(a, b), diff_versions(b, a)
    assert forward.added == backward.removed
    assert forward.removed == backward.added
    a_ids, b_ids = {i.identifier for i in a.items}, {i.identifier for i in b.items}
    assert {r.identifier for r in forward.added} == b_ids - a_ids
    assert {r.identifier for r in forward.removed} == a_ids - b_ids
    assert [r.code for r in forward.added] == sorted(r.code for r in forward.added)
    # Items kept in both were not reworded; they moved only if their parent came or went.
    assert forward.reworded == ()
    changed = a_ids ^ b_ids
    for moved in forward.moved:
        parents = {p.identifier for p in (moved.from_parent, moved.to_parent) if p is not None}
        assert len(parents) == 1 and parents <= changed
    for change in forward.associations:
        assert {change.origin.identifier, change.destination.identifier} & changed


@given(version_contents(), st.data())
def test_rewording_one_statement_gives_exactly_one_reworded(content, data):
    target = data.draw(st.sampled_from(content.items))
    new_statement = target.statement + " (revised)"
    changed = dataclasses.replace(target, statement=new_statement)
    new = replace(content, items=tuple(changed if i is target else i for i in content.items))
    diff = diff_versions(content, new)
    assert len(diff.reworded) == 1
    [reworded] = diff.reworded
    assert reworded.item == item_ref(changed)
    assert reworded.changes == (FieldChange("statement", target.statement, new_statement),)
    assert dataclasses.replace(diff, reworded=()).is_empty()


@given(version_contents(), st.data())
def test_moving_one_item_gives_exactly_one_moved(content, data):
    children = [i for i in content.items if i.type not in ROOT_TYPES]
    assume(children)
    mover = data.draw(st.sampled_from(children))
    old_parent = parent_of(content, mover.identifier)
    below = descendants(content, mover.identifier)
    targets = [i for i in content.items if i.identifier not in below and i.identifier != old_parent]
    assume(targets)
    new_parent = data.draw(st.sampled_from(targets))
    siblings = [i.sequence for i in content.items if parent_of(content, i.identifier) == new_parent.identifier]
    sequence = max(siblings, default=0) + 1
    moved_item = dataclasses.replace(mover, sequence=sequence)
    associations = tuple(
        dataclasses.replace(a, destination=new_parent.identifier, sequence=sequence)
        if a.type == AssociationType.is_child_of and a.origin == mover.identifier
        else a
        for a in content.associations
    )
    new = replace(
        content,
        items=tuple(moved_item if i is mover else i for i in content.items),
        associations=associations,
    )
    diff = diff_versions(content, new)
    items = content.item_by_id()
    assert diff.moved == (
        Moved(
            item=item_ref(moved_item),
            from_parent=item_ref(items[old_parent]),
            to_parent=item_ref(new_parent),
            from_sequence=mover.sequence,
            to_sequence=sequence,
        ),
    )
    assert dataclasses.replace(diff, moved=()).is_empty()


@given(version_contents(), st.data())
def test_reordering_siblings_is_a_move_under_the_same_parent(content, data):
    target = data.draw(st.sampled_from(content.items))
    changed = dataclasses.replace(target, sequence=target.sequence + 1000)
    new = replace(content, items=tuple(changed if i is target else i for i in content.items))
    [moved] = diff_versions(content, new).moved
    assert moved.from_parent == moved.to_parent
    assert (moved.from_sequence, moved.to_sequence) == (target.sequence, target.sequence + 1000)


# --- examples ----------------------------------------------------------------------------------


def make(code: str, item_type: ItemType = ItemType.capability, **fields) -> ItemContent:
    return ItemContent(uuid.uuid4(), item_type, code, f"Statement of {code}", **fields)


def version(items, associations=(), descriptors=()) -> VersionContent:
    return VersionContent(
        framework_identifier=uuid.UUID(int=1),
        title="Framework",
        version="1.0.0",
        items=tuple(items),
        associations=tuple(associations),
        descriptors=tuple(descriptors),
    )


def test_every_rewording_field_is_reported_with_text_values():
    before = make("A1", description=None, audience=Audience.all_staff, source="Strategy p.3")
    after = dataclasses.replace(
        before,
        code="A2",
        type=ItemType.behaviour,
        statement="New words",
        description="Now described",
        audience=Audience.team_leaders,
        source=None,
    )
    [reworded] = diff_versions(version([before]), version([after])).reworded
    assert reworded.item == ItemRef(after.identifier, "A2", "behaviour", "New words")
    assert reworded.changes == (
        FieldChange("code", "A1", "A2"),
        FieldChange("type", "capability", "behaviour"),
        FieldChange("statement", "Statement of A1", "New words"),
        FieldChange("description", None, "Now described"),
        FieldChange("audience", "all_staff", "team_leaders"),
        FieldChange("source", "Strategy p.3", None),
    )


def test_descriptor_changes_are_sorted_by_code_then_level():
    a, b = make("A"), make("B")
    old = version(
        [a, b],
        descriptors=[
            DescriptorContent(a.identifier, "strong", "old strong"),
            DescriptorContent(b.identifier, "essential", "kept"),
        ],
    )
    new = version(
        [a, b],
        descriptors=[
            DescriptorContent(a.identifier, "strong", "new strong"),
            DescriptorContent(a.identifier, "essential", "added"),
            DescriptorContent(b.identifier, "essential", "kept"),
        ],
    )
    assert diff_versions(old, new).descriptors == (
        DescriptorChange(item_ref(a), "essential", None, "added"),
        DescriptorChange(item_ref(a), "strong", "old strong", "new strong"),
    )
    assert diff_versions(new, old).descriptors == (
        DescriptorChange(item_ref(a), "essential", "added", None),
        DescriptorChange(item_ref(a), "strong", "new strong", "old strong"),
    )


def test_association_changes_ignore_parents_and_identifiers():
    c, a, b = make("C", ItemType.component), make("A"), make("B")
    parent = AssociationContent(uuid.uuid4(), AssociationType.is_child_of, a.identifier, c.identifier)
    related = AssociationContent(uuid.uuid4(), AssociationType.is_related_to, a.identifier, b.identifier)
    same_again = dataclasses.replace(related, identifier=uuid.uuid4())
    replaced = AssociationContent(uuid.uuid4(), AssociationType.replaced_by, b.identifier, a.identifier)
    old = version([c, a, b], [parent, related])
    new = version([c, a, b], [dataclasses.replace(parent, identifier=uuid.uuid4()), same_again, replaced])
    diff = diff_versions(old, new)
    assert diff.associations == (AssociationChange("replaced_by", item_ref(b), item_ref(a), "added"),)
    assert dataclasses.replace(diff, associations=()).is_empty()


def test_removed_item_takes_its_links_and_descriptors_along():
    c, a = make("C", ItemType.component), make("A")
    link = AssociationContent(uuid.uuid4(), AssociationType.exact_match_of, a.identifier, c.identifier)
    old = version([c, a], [link], [DescriptorContent(a.identifier, "strong", "text")])
    diff = diff_versions(old, version([c]))
    assert diff.removed == (item_ref(a),)
    assert diff.associations == (AssociationChange("exact_match_of", item_ref(a), item_ref(c), "removed"),)
    assert diff.descriptors == (DescriptorChange(item_ref(a), "strong", "text", None),)


def test_becoming_a_root_is_a_move_to_no_parent():
    c, a = make("C", ItemType.component), make("A", sequence=1)
    link = AssociationContent(uuid.uuid4(), AssociationType.is_child_of, a.identifier, c.identifier)
    [moved] = diff_versions(version([c, a], [link]), version([c, a])).moved
    assert (moved.from_parent, moved.to_parent) == (item_ref(c), None)

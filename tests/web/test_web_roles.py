"""Roles grant scopes; the token the web signs for a user carries them and their organisation."""

from __future__ import annotations

import time
import uuid

import pytest

from servicekit.auth import Principal, TokenVerifier
from servicekit.errors import ProblemError
from web.accounts import service
from web.accounts.organisations import ORGANISATIONS
from web.accounts.roles import ROLE_SCOPES, Role, parse_roles, scopes_for, service_scopes_for
from web.clients.base import TokenSigner
from web.navigation import NAVIGATION, NavEntry, visible_entries

ALL_SERVICE_SCOPES = {
    "framework:read",
    "framework:write",
    "recruitment:read",
    "recruitment:admin",
    "recruitment:score",
    "equality:read",
    "monitoring:read",
    "monitoring:write",
    "monitoring:admin",
    "monitoring:regional",
    "survey:ingest",
}


def test_each_role_grants_exactly_its_scopes():
    # An organisation's administrator does not see every organisation: that is the regional lead's.
    assert ROLE_SCOPES[Role.admin] == ALL_SERVICE_SCOPES - {"monitoring:regional"} | {"users:admin"}
    assert ROLE_SCOPES[Role.framework_editor] == {"framework:read", "framework:write"}
    assert ROLE_SCOPES[Role.manager] == {"framework:read", "monitoring:read", "monitoring:write"}
    assert ROLE_SCOPES[Role.recruitment_admin] == {"framework:read", "recruitment:read", "recruitment:admin"}
    assert ROLE_SCOPES[Role.assessor] == {"framework:read", "recruitment:read", "recruitment:score"}
    assert ROLE_SCOPES[Role.equality_officer] == {"recruitment:read", "equality:read"}
    assert ROLE_SCOPES[Role.regional_lead] == {"framework:read", "monitoring:read", "monitoring:regional"}
    assert set(ROLE_SCOPES) == set(Role)


def test_scopes_of_several_roles_are_their_union_and_unknown_roles_grant_nothing():
    assert scopes_for(["manager", "assessor"]) == {
        "framework:read",
        "monitoring:read",
        "monitoring:write",
        "recruitment:read",
        "recruitment:score",
    }
    assert scopes_for(["superuser"]) == frozenset()
    assert parse_roles(["assessor", "nonsense", "admin"]) == [Role.admin, Role.assessor]


def test_web_only_scopes_never_go_to_a_service():
    assert "users:admin" in scopes_for(["admin"])
    assert service_scopes_for(["admin"]) == ALL_SERVICE_SCOPES - {"monitoring:regional"}


def test_organisations_are_the_hsc_bodies_with_full_names():
    assert list(ORGANISATIONS) == [
        "DOH",
        "SPPG",
        "PHA",
        "BSO",
        "BHSCT",
        "NHSCT",
        "SEHSCT",
        "SHSCT",
        "WHSCT",
        "NIAS",
        "NIMDTA",
        "RQIA",
        "NIPEC",
        "NISCC",
        "NIBTS",
        "PCC",
    ]
    assert ORGANISATIONS["BHSCT"] == "Belfast Health and Social Care Trust"
    assert ORGANISATIONS["PCC"] == "Patient and Client Council"


def test_signed_token_verifies_and_carries_org_scopes_and_name(keys):
    subject = str(uuid.uuid4())
    signer = TokenSigner(keys.private_pem, ttl_seconds=120)
    principal = Principal(
        subject=subject, org="SHSCT", scopes=service_scopes_for(["assessor", "manager"]), name="Carol Corr"
    )
    verifier = TokenVerifier(
        issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes()
    )
    verified = verifier.verify(signer.sign(principal))
    assert verified.subject == subject
    assert verified.org == "SHSCT"
    assert verified.scopes == {
        "framework:read",
        "monitoring:read",
        "monitoring:write",
        "recruitment:read",
        "recruitment:score",
    }
    assert verified.name == "Carol Corr"


def test_signed_token_is_short_lived(keys):
    import jwt

    signer = TokenSigner(keys.private_pem, ttl_seconds=120)
    before = time.time()
    token = signer.sign(Principal(subject="s", org="BSO", scopes=frozenset({"framework:read"})))
    after = time.time()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120
    assert int(before) <= claims["iat"] <= after  # issued now, however long signing took

    expired = TokenSigner(keys.private_pem, ttl_seconds=-3600).sign(
        Principal(subject="s", org="BSO", scopes=frozenset())
    )
    verifier = TokenVerifier(
        issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes()
    )
    with pytest.raises(ProblemError):
        verifier.verify(expired)


def test_navigation_shows_only_what_the_scopes_allow():
    labels = lambda scopes: [entry.label for entry in visible_entries(scopes)]  # noqa: E731
    assert labels(scopes_for(["admin"])) == ["Framework", "Recruitment", "My organisation", "Culture survey", "Users"]
    assert labels(scopes_for(["manager"])) == ["Framework", "My organisation", "Culture survey"]
    assert labels(scopes_for(["assessor"])) == ["Framework", "Recruitment"]
    assert labels(scopes_for(["equality_officer"])) == ["Recruitment"]
    assert labels(frozenset()) == []
    # A later service plugs in with one entry.
    surveys = NavEntry("Surveys", "/surveys", frozenset({"monitoring:read"}), "Culture surveys")
    assert [e.label for e in visible_entries(scopes_for(["manager"]), (*NAVIGATION, surveys))] == [
        "Framework",
        "My organisation",
        "Culture survey",
        "Surveys",
    ]
    # The culture page is its own entry, not also My organisation's.
    entries = {entry.label: entry for entry in NAVIGATION}
    assert entries["Culture survey"].current("/monitoring/culture")
    assert not entries["My organisation"].current("/monitoring/culture")
    assert entries["My organisation"].current("/monitoring/plan")


def test_passwords_are_hashed_with_argon2id_at_a_real_cost():
    hasher = service.PRODUCTION_HASHER
    assert hasher.type.name == "ID"
    assert hasher.time_cost >= 2 and hasher.memory_cost >= 19456


def test_the_home_page_links_by_role(signed_in):
    page = signed_in("editor", roles=("framework_editor",)).get("/").text
    assert "Framework editor" in page
    assert 'href="/frameworks"' in page
    assert 'href="/admin/users"' not in page


def test_a_user_with_no_area_is_told_so(client, make_user, db, login):
    user = make_user("retired", roles=("manager",))
    user.roles = ["a_role_collective_no_longer_has"]  # every role opens some area today
    db.add(user)
    db.commit()
    assert login(client, "retired").status_code == 303
    page = client.get("/").text
    assert "Ask an administrator of your organisation to give you the roles you need" in page

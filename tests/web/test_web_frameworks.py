"""The framework browser against the real framework-api in process, with the test framework of
tests/web/conftest.py (1.0.0 and 1.1.0 published, 1.2.0 a draft of the owner, BSO)."""

from __future__ import annotations

import uuid

import pytest
from web_framework_support import framework_ids

from servicekit.auth import TokenVerifier

ID = {name: str(value) for name, value in framework_ids().items()}
# The pages browse 1.1.0, the version with every item; 1.0.0 is the one it changed.
VERSION = f"/versions/{ID['current']}"
UNKNOWN_VERSION = "99999999-9999-4999-8999-999999999999"


@pytest.fixture
def reader(signed_in):
    # The framework's owner, who sees its draft too (another organisation sees only what is published).
    return signed_in("reader", org="BSO", roles=("manager",))


def test_framework_pages_need_framework_read(signed_in):
    client = signed_in("equality", roles=("equality_officer",))
    for url in (
        "/frameworks",
        f"/frameworks/{ID['framework']}",
        VERSION,
        f"{VERSION}/search?q=x",
        f"{VERSION}/items/{ID['C4']}",
        f"{VERSION}/compare",
        f"{VERSION}/download.csv",
    ):
        assert client.get(url).status_code == 403, url


def test_frameworks_list_shows_versions_with_status_tags(reader):
    page = reader.get("/frameworks")
    assert page.status_code == 200
    assert "HSC Collective Leadership Framework" in page.text
    assert f'href="/versions/{ID["earlier"]}">Version 1.0.0</a>' in page.text
    assert '<strong class="nhsuk-tag nhsuk-tag--green">Published</strong>' in page.text
    assert '<strong class="nhsuk-tag nhsuk-tag--grey">Draft</strong>' in page.text


def test_framework_page_lists_its_versions(reader):
    page = reader.get(f"/frameworks/{ID['framework']}")
    assert page.status_code == 200
    assert "<h1>HSC Collective Leadership Framework</h1>" in page.text
    assert "Business Services Organisation" in page.text
    assert "Change note of 1.2.0" in page.text and "Not published" in page.text


def test_the_web_signs_a_token_for_the_user_that_framework_api_verifies(reader, framework_api, keys, db):
    from sqlmodel import select

    from web.accounts.models import User

    request_id = uuid.uuid4().hex
    reader.get("/frameworks", headers={"X-Request-ID": request_id})
    request = framework_api.requests[-1]
    assert request.headers["X-Request-ID"] == request_id
    token = request.headers["Authorization"].removeprefix("Bearer ")
    verifier = TokenVerifier(
        issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes()
    )
    principal = verifier.verify(token)
    user = db.exec(select(User).where(User.username == "reader")).one()
    assert principal.subject == str(user.uid)
    assert principal.org == "BSO"
    assert principal.scopes == {"framework:read", "monitoring:read", "monitoring:write"}
    assert principal.name == "Reader"


def test_version_page_shows_the_tree_as_nested_details_with_type_tags(reader):
    page = reader.get(VERSION)
    assert page.status_code == 200
    text = page.text
    assert "Version 1.1.0" in text
    assert '<details class="collective-tree__details">' in text
    assert "Component</strong>" in text and "Capability</strong>" in text
    assert f'href="{VERSION}/items/{ID["C4.TL.1"]}"' in text
    assert "All 4 items." in text
    assert f'href="{VERSION}/download.json"' in text and f'href="{VERSION}/download.csv"' in text
    assert f'href="{VERSION}/compare"' in text
    # The search box: htmx when there is JavaScript, an ordinary GET form when there is not.
    assert f'<form action="{VERSION}/search" method="get"' in text
    assert 'hx-trigger="keyup changed delay:300ms, search"' in text
    assert f'hx-get="{VERSION}/search"' in text and 'hx-target="#search-results"' in text
    assert '<label class="nhsuk-label" for="q">' in text


def test_audience_filter_keeps_matching_items_and_their_parents(reader):
    page = reader.get(f"{VERSION}?audience=team_leaders")
    assert page.status_code == 200
    assert "C4.TL.1" in page.text and "Compassionate leadership" in page.text
    assert "C4.AS.1" not in page.text
    assert '<option value="team_leaders" selected>' in page.text
    assert '<details class="collective-tree__details" open>' in page.text


def test_audience_filter_via_htmx_returns_only_the_tree(reader):
    fragment = reader.get(f"{VERSION}?audience=team_leaders", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<h1" not in fragment.text
    assert "C4.TL.1" in fragment.text and "C4.AS.1" not in fragment.text


def test_an_unknown_audience_shows_everything(reader):
    assert "C4.AS.1" in reader.get(f"{VERSION}?audience=martians").text


def test_search_without_htmx_renders_the_whole_page_with_results(reader):
    page = reader.get(f"{VERSION}/search?q=compassion")
    assert page.status_code == 200
    assert "<html" in page.text and "<h1>" in page.text
    assert 'value="compassion"' in page.text
    assert "3 items match “compassion”" in page.text
    assert '<ul class="collective-tree">' in page.text  # the tree is still there


def test_search_with_htmx_renders_only_the_results_fragment(reader):
    fragment = reader.get(f"{VERSION}/search?q=compassion", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.text
    assert "<html" not in text and "<header" not in text and "<h1" not in text
    assert "3 items match “compassion”" in text
    assert f'href="{VERSION}/items/{ID["C4.AS.1"]}"' in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_history_restore_gets_the_whole_page(reader):
    page = reader.get(
        f"{VERSION}/search?q=compassion", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in page.text


def test_search_with_no_match_and_with_nothing_typed(reader):
    none = reader.get(f"{VERSION}/search?q=zebra", headers={"HX-Request": "true"})
    assert "No items match “zebra”" in none.text
    empty = reader.get(f"{VERSION}/search?q=", headers={"HX-Request": "true"})
    assert empty.status_code == 200 and "match" not in empty.text


def test_search_results_escape_what_was_typed(reader):
    response = reader.get(
        f"{VERSION}/search", params={"q": "<script>alert(1)</script>"}, headers={"HX-Request": "true"}
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_item_page_shows_descriptors_by_level_with_the_threshold_marked(reader):
    page = reader.get(f"{VERSION}/items/{ID['C4.AS.1']}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Listens with compassion</h1>" in text
    assert "Gives colleagues full attention." in text
    assert "Our Approach: Compassionate leadership" in text
    # Levels in order of position, whatever order the service sent them in.
    positions = [
        text.index(f"{title} descriptor of C4.AS.1") for title in ("Essential", "Proficient", "Strong", "Exemplary")
    ]
    assert positions == sorted(positions)
    threshold_row = text.split("collective-descriptors__threshold")[1].split("</tr>")[0]
    assert "Proficient" in threshold_row and "Expected standard" in threshold_row
    assert text.count("Expected standard</strong>") == 1
    # Parent and associations as links.
    assert f'href="{VERSION}/items/{ID["C4"]}"' in text
    assert f'href="{VERSION}/items/{ID["V4"]}"' in text and "Is related to" in text


def test_item_page_of_a_component_links_its_children(reader):
    page = reader.get(f"{VERSION}/items/{ID['C4']}")
    assert "Made up of" in page.text
    assert f'href="{VERSION}/items/{ID["C4.TL.1"]}"' in page.text
    assert "What it looks like at each level" not in page.text


def test_compare_offers_the_other_versions_and_shows_the_diff(reader, framework_service):
    form = reader.get(f"{VERSION}/compare")
    assert form.status_code == 200
    assert f'<option value="{framework_service.draft_id}">Version 1.2.0 (draft)</option>' in form.text
    assert f'<option value="{ID["current"]}"' not in form.text
    page = reader.get(f"{VERSION}/compare?from={ID['earlier']}")
    assert page.status_code == 200
    text = page.text
    assert "Changes from version 1.0.0 to version 1.1.0" in text  # earlier to later, whichever page
    assert "<h3>Added</h3>" in text and "C4.TL.1" in text
    assert "<h3>Reworded</h3>" in text and "Listens well" in text and "Listens with compassion" in text


@pytest.mark.parametrize(
    "chosen, message",
    [
        ("not-a-uuid", "Choose a version to compare with"),
        (ID["current"], "Choose a different version from the one you are comparing"),
        # A well-formed version id framework-api does not know (fixed: ids must not vary
        # between collections, or pytest-xdist's workers disagree on what was collected).
        (UNKNOWN_VERSION, "Choose a version of this framework to compare with"),
    ],
    ids=["malformed", "the-same-version", "an-unknown-version"],
)
def test_compare_explains_a_wrong_choice_next_to_the_field(reader, chosen, message):
    page = reader.get(f"{VERSION}/compare", params={"from": chosen})
    assert page.status_code == 422
    assert f'<a href="#from">{message}</a>' in page.text
    assert 'id="from-error"' in page.text


def test_downloads_proxy_the_exports_with_a_filename(reader):
    case = reader.get(f"{VERSION}/download.json")
    assert case.status_code == 200
    assert case.headers["content-type"] == "application/json"
    assert (
        case.headers["content-disposition"] == 'attachment; filename="hsc-collective-leadership-framework-1.1.0.json"'
    )
    assert case.json()["CFDocument"]["identifier"] == ID["current"]  # a CASE document per version
    csv = reader.get(f"{VERSION}/download.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="hsc-collective-leadership-framework-1.1.0.csv"'
    assert csv.text.startswith("identifier,code")


def test_a_404_from_framework_api_is_the_webs_404_page(reader):
    for url in (
        f"/versions/{uuid.uuid4()}",
        f"{VERSION}/items/{uuid.uuid4()}",
        f"/versions/{uuid.uuid4()}/search?q=a",
        f"/versions/{uuid.uuid4()}/download.json",
    ):
        response = reader.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.text


def test_a_malformed_identifier_is_a_404_page(reader):
    response = reader.get("/versions/not-a-uuid")
    assert response.status_code == 404
    assert "Page not found" in response.text


UNAVAILABLE = "The framework service is not available just now"
PAGES = [
    "/frameworks",
    f"/frameworks/{ID['framework']}",
    VERSION,
    f"{VERSION}?audience=team_leaders",
    f"{VERSION}/search?q=compassion",
    f"{VERSION}/items/{ID['C4.AS.1']}",
    f"{VERSION}/compare",
    f"{VERSION}/compare?from={ID['earlier']}",
]


@pytest.mark.parametrize("failure", ["connect", "timeout", 500])
@pytest.mark.parametrize("url", PAGES)
def test_pages_answer_200_with_a_notice_when_framework_api_is_down(reader, framework_api, failure, url):
    framework_api.failure = failure
    response = reader.get(url)
    assert response.status_code == 200, response.text
    assert UNAVAILABLE in response.text
    assert "<h1" in response.text and "Sign out" in response.text  # the rest of the page is there


def test_search_fragment_shows_the_notice_when_framework_api_is_down(reader, framework_api):
    framework_api.failure = "connect"
    fragment = reader.get(f"{VERSION}/search?q=compassion", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert UNAVAILABLE in fragment.text and "<html" not in fragment.text


def test_a_download_when_framework_api_is_down_explains(reader, framework_api):
    framework_api.failure = 500
    response = reader.get(f"{VERSION}/download.csv")
    assert response.status_code == 503
    assert UNAVAILABLE in response.text
    assert "content-disposition" not in response.headers


def test_a_refusal_by_framework_api_is_explained(reader, framework_api):
    framework_api.failure = 403
    response = reader.get(VERSION)
    assert response.status_code == 403
    assert "The framework service did not allow this" in response.text
    framework_api.failure = 401
    response = reader.get(VERSION)
    assert response.status_code == 200
    assert "The framework service could not confirm who you are" in response.text


def test_an_unexpected_answer_from_framework_api_is_a_notice_not_a_crash(reader, framework_api):
    import httpx

    framework_api.answer = httpx.Response(200, json={"surprise": True})
    response = reader.get(VERSION)
    assert response.status_code == 200
    assert UNAVAILABLE in response.text

"""Helpers for tests that write to framework-api."""

from __future__ import annotations


def with_etag(client, version_id, headers: dict[str, str]) -> dict[str, str]:
    """`headers` with If-Match set to the version's current ETag: every write to a draft needs it
    (428 without, 412 when stale)."""
    response = client.get(f"/versions/{version_id}", headers=headers)
    assert response.status_code == 200, response.text
    return {**headers, "If-Match": response.headers["etag"]}

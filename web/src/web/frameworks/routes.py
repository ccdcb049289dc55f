"""The framework browser: frameworks, versions as trees, item search, items, comparisons, downloads.

Every page reads framework-api with the signed-in user's short-lived token."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from collective_clients.framework import operations as api
from collective_clients.framework.models import VersionDiffPublic, VersionPublic
from web.accounts.auth import Identity, RequireScopes
from web.clients.base import ServiceClient, ServiceError, ServiceNotFound, cursor_of
from web.clients.dependency import http_client, service_client
from web.frameworks.tree import count_items, filter_by_audience
from web.labels import AUDIENCES
from web.notices import gather
from web.pages import CSV_MEDIA_TYPE, attachment, is_htmx, render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Identity, Depends(RequireScopes("framework:read"))]
SEARCH_LIMIT = 25


async def framework_client(
    request: Request, identity: Reader, http: Annotated[httpx.AsyncClient, Depends(http_client)]
) -> ServiceClient:
    return service_client("framework", request, http, identity.service_principal)


Client = Annotated[ServiceClient, Depends(framework_client)]


@router.get("/frameworks")
async def list_frameworks(
    request: Request, client: Client, cursor: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    (page,), notice = await gather(client.send(api.list_frameworks(cursor=cursor)))
    return render(
        request,
        "frameworks/list.html",
        {
            "page_title": "Frameworks",
            "frameworks": page.items if page else [],
            "next_cursor": cursor_of(page.next) if page else None,
            "notice": notice,
        },
        status_code=notice.status_code if notice else 200,
    )


@router.get("/frameworks/{framework_id}")
async def show_framework(request: Request, framework_id: uuid.UUID, client: Client) -> Response:
    (framework,), notice = await gather(client.send(api.read_framework(framework_id)))
    return render(
        request,
        "frameworks/framework.html",
        {
            "page_title": framework.title if framework else "Framework",
            "framework": framework,
            "notice": notice,
        },
        status_code=notice.status_code if notice else 200,
    )


def _audience(value: str | None) -> str | None:
    return value if value in AUDIENCES else None


async def _version_page(
    request: Request, client: ServiceClient, version_id: uuid.UUID, *, audience: str | None, q: str | None
) -> Response:
    calls: list[Awaitable[Any]] = [client.send(api.read_version(version_id)), client.send(api.read_tree(version_id))]
    if q:
        calls.append(client.send(api.search_items(version_id, q=q, limit=SEARCH_LIMIT)))
    results, notice = await gather(*calls)
    version, tree = results[0], results[1]
    search = results[2] if q else None
    items = filter_by_audience(tree.items, audience) if tree else []
    context = {
        "page_title": _version_title(version),
        "version_id": version_id,
        "version": version,
        "tree": tree,
        "items": items,
        "shown": count_items(items),
        "audience": audience,
        "q": q or "",
        "results": search.items if search else None,
        "more_results": bool(search and search.next),
        "search_notice": notice if q and search is None else None,
        "notice": notice if version is None or tree is None else None,
    }
    page_notice = context["notice"]
    return render(
        request,
        "frameworks/version.html",
        context,
        block="tree" if not q else None,
        status_code=page_notice.status_code if page_notice else 200,
    )


def _version_title(version: VersionPublic | None) -> str:
    if version is None:
        return "Framework version"
    return f"{version.framework.title}, version {version.version}"


@router.get("/versions/{version_id}")
async def show_version(
    request: Request,
    version_id: uuid.UUID,
    client: Client,
    audience: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    return await _version_page(request, client, version_id, audience=_audience(audience), q=None)


@router.get("/versions/{version_id}/search")
async def search_version(
    request: Request, version_id: uuid.UUID, client: Client, q: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    q = q.strip()[:200]
    if not is_htmx(request):
        # Without JavaScript the search form is an ordinary GET: the whole version page with results.
        return await _version_page(request, client, version_id, audience=None, q=q or None)
    results, notice = (None, None)
    if q:
        (results,), notice = await gather(client.send(api.search_items(version_id, q=q, limit=SEARCH_LIMIT)))
    return render(
        request,
        "frameworks/version.html",
        {
            "version_id": version_id,
            "q": q,
            "results": results.items if results else None,
            "more_results": bool(results and results.next),
            "search_notice": notice,
        },
        block="search_results",
        status_code=notice.status_code if notice else 200,
    )


@router.get("/versions/{version_id}/items/{identifier}")
async def show_item(request: Request, version_id: uuid.UUID, identifier: uuid.UUID, client: Client) -> Response:
    (item, version), notice = await gather(
        client.send(api.read_item(version_id, identifier)), client.send(api.read_version(version_id))
    )
    levels = version.scale.levels if version and version.scale else []
    threshold = {level.code for level in levels if level.proficient_threshold}
    descriptors = sorted(item.descriptors, key=lambda d: d.position) if item else []
    return render(
        request,
        "frameworks/item.html",
        {
            "page_title": f"{item.code}: {item.statement}" if item else "Framework item",
            "item": item,
            "version": version,
            "version_id": version_id,
            "descriptors": descriptors,
            "threshold": threshold | {d.level for d in descriptors if d.proficient_threshold},
            "scale": version.scale if version else None,
            "notice": notice,
        },
        status_code=notice.status_code if notice and item is None else 200,
    )


@router.get("/versions/{version_id}/compare")
async def compare_versions(
    request: Request,
    version_id: uuid.UUID,
    client: Client,
    from_: Annotated[str | None, Query(alias="from", max_length=100)] = None,
) -> Response:
    context: dict[str, Any] = {
        "page_title": "Compare versions",
        "version_id": version_id,
        "errors": {},
        "diff": None,
        "others": [],
        "chosen": from_ or "",
    }
    (version,), notice = await gather(client.send(api.read_version(version_id)))
    if version is None:
        return render(
            request,
            "frameworks/compare.html",
            {**context, "notice": notice},
            status_code=notice.status_code if notice else 200,
        )
    context["version"] = version
    context["page_title"] = f"Compare {version.framework.title}, version {version.version}"

    chosen = None
    if from_:
        try:
            chosen = uuid.UUID(from_)
        except ValueError:
            context["errors"]["from"] = "Choose a version to compare with"
        if chosen == version_id:
            context["errors"]["from"] = "Choose a different version from the one you are comparing"
            chosen = None

    (framework,), notice = await gather(client.send(api.read_framework(version.framework.id)))
    context["notice"] = notice
    if framework is not None:
        context["others"] = [v for v in framework.versions if v.id != version_id]
        if chosen and not context["errors"]:
            other = next((v for v in context["others"] if v.id == chosen), None)
            if other is None:
                context["errors"]["from"] = "Choose a version of this framework to compare with"
            else:
                # Always read as what changed from the earlier version to the later one.
                older, newer = sorted((version, other), key=lambda v: _version_key(v.version))
                (diff,), notice = await gather(_diff_or_field_error(client, newer.id, older.id))
                context["notice"] = notice
                if isinstance(diff, str):
                    context["errors"]["from"] = diff
                else:
                    context["diff"] = diff
    status = 422 if context["errors"] else (notice.status_code if notice else 200)
    return render(request, "frameworks/compare.html", context, status_code=status)


def _version_key(number: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in number.split("."))
    except ValueError:
        return ()


async def _diff_or_field_error(
    client: ServiceClient, version_id: uuid.UUID, other: uuid.UUID
) -> VersionDiffPublic | str:
    """The diff, or the message for the version field when the chosen version cannot be compared."""
    try:
        return await client.send(api.diff(version_id, from_=other))
    except ServiceNotFound:
        return "Choose a version of this framework to compare with"
    except ServiceError as exc:
        if exc.status in (400, 409, 422):
            return exc.detail or "These two versions cannot be compared"
        raise


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "framework"


async def _download(request: Request, client: ServiceClient, version_id: uuid.UUID, kind: str) -> Response:
    fetch = client.send(api.export_case(version_id) if kind == "json" else api.export_csv(version_id))
    (download, version), notice = await gather(fetch, client.send(api.read_version(version_id)))
    if download is None:
        return render(
            request,
            "frameworks/download_failed.html",
            {
                "page_title": "The download is not available",
                "notice": notice,
                "version_id": version_id,
            },
            status_code=503 if notice and notice.kind == "unavailable" else (notice.status_code if notice else 503),
        )
    if version is not None:
        filename = f"{_slug(version.framework.title)}-{version.version}.{kind}"
    else:
        filename = download.filename or f"framework-version-{version_id}.{kind}"
    return attachment(download.content, filename, "application/json" if kind == "json" else CSV_MEDIA_TYPE)


@router.get("/versions/{version_id}/download.json")
async def download_case(request: Request, version_id: uuid.UUID, client: Client) -> Response:
    return await _download(request, client, version_id, "json")


@router.get("/versions/{version_id}/download.csv")
async def download_csv(request: Request, version_id: uuid.UUID, client: Client) -> Response:
    return await _download(request, client, version_id, "csv")

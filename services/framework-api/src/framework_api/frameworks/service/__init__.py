"""Operations on frameworks and their versions: plain functions taking a Session; no FastAPI.

The domain's service, in modules by what they do:

- `reading`: listing and reading frameworks, versions, trees, items and a version's content, as
  each caller may see them (drafts only by the owning organisation).
- `drafts`: who may write, and editing a draft's items, associations, descriptors and scale, or
  all its content at once.
- `lifecycle`: creating a framework or a new draft, the publication check, publishing,
  deprecating, discarding a draft.
- `queries`: the selects (and deletes) of a version's rows that more than one of them needs,
  each written once.

Routes, the exchange and the seed use the names below. Writes never touch a published version;
callers commit; every write appends an audit record.
"""

from __future__ import annotations

from framework_api.frameworks.service.drafts import (
    add_association,
    add_item,
    delete_association,
    delete_descriptor,
    delete_item,
    put_descriptor,
    put_scale,
    replace_content,
    require_draft,
    require_owner,
    update_item,
)
from framework_api.frameworks.service.lifecycle import (
    DEFAULT_LEVELS,
    create_framework,
    create_version,
    deprecate,
    discard_draft,
    publication_check,
    publish,
)
from framework_api.frameworks.service.queries import uid_map, write_scale
from framework_api.frameworks.service.reading import (
    framework_public,
    get_association,
    get_framework,
    get_item,
    get_version,
    item_detail,
    list_frameworks,
    list_versions,
    load_content,
    search_items,
    tree,
    tree_json,
    version_public,
    version_summary,
    versions_of,
)

__all__ = [
    "DEFAULT_LEVELS",
    "add_association",
    "add_item",
    "create_framework",
    "create_version",
    "delete_association",
    "delete_descriptor",
    "delete_item",
    "deprecate",
    "discard_draft",
    "framework_public",
    "get_association",
    "get_framework",
    "get_item",
    "get_version",
    "item_detail",
    "list_frameworks",
    "list_versions",
    "load_content",
    "publication_check",
    "publish",
    "put_descriptor",
    "put_scale",
    "replace_content",
    "require_draft",
    "require_owner",
    "search_items",
    "tree",
    "tree_json",
    "uid_map",
    "update_item",
    "version_public",
    "version_summary",
    "versions_of",
    "write_scale",
]

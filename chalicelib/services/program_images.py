"""A program's images: the owner's uploads (logo, icon, strip) or the generated ones.

An upload is checked and derived once (wallet/brand.py), its original and derived
PNGs stored in S3 under `programs/<program>/<kind>/<version>/`, and its version (a
content hash) set on the program in the same transaction a design change makes
(programs.commit_change): the program's version and its passes' Last-Modified
rise, the Google class is patched and the fan-out job pushes every pass. The
bytes never enter DynamoDB. DELETE clears the version: the generated image again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from chalicelib import blobs
from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.root import per_root
from chalicelib.services.auth import Principal
from chalicelib.services.programs import (
    PassUpdates,
    commit_change,
    current_program,
    load_program,
    program_of,
)
from chalicelib.store.models import ProgramItem

if TYPE_CHECKING:
    from chalicelib.wallet.brand import Kind

log = logging.getLogger(__name__)

KINDS = ("logo", "icon", "strip")
# Served at /v1/programs/{id}/images/<name>.png: Apple's images at 3x, and Google's
# program logo (square) and hero image, made from the logo and the strip.
_SERVED = {
    "logo": ("logo", "logo@3x.png"),
    "icon": ("icon", "icon@3x.png"),
    "strip": ("strip", "strip@3x.png"),
    "programlogo": ("logo", "programlogo.png"),
    "hero": ("strip", "hero.png"),
}


@dataclass(frozen=True)
class Served:
    data: bytes
    etag: str


class DerivedCache:
    """Derived image bytes by (program, version, file name), per process.

    The rule: an entry is named by its upload's content hash, so it is never stale
    (a new upload is a new key) and any reader may use it; which version is current
    always comes from the program the reader read. Reading S3 for every pass would
    cost more than the signature. The least recently used go past `limit_bytes`
    (a photo strip's derived files are about 1 MB; a Lambda has 512 MB or more).
    """

    def __init__(self, limit_bytes: int = 64 * 1024 * 1024) -> None:
        self._limit = limit_bytes
        self._size = 0
        self._files: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> bytes | None:
        with self._lock:
            data = self._files.get(key)
            if data is not None:
                self._files.move_to_end(key)
            return data

    def put(self, key: tuple[str, str, str], data: bytes) -> None:
        with self._lock:
            previous = self._files.pop(key, None)
            self._size += len(data) - (len(previous) if previous is not None else 0)
            self._files[key] = data
            while self._size > self._limit and len(self._files) > 1:
                self._size -= len(self._files.popitem(last=False)[1])


derived_files = per_root(DerivedCache)  # the derived files this process has read or made


def versions(item: ProgramItem) -> dict[str, str]:
    """The program's uploaded images' versions by kind ({} when none was uploaded)."""
    if not item.images:
        return {}
    return _parsed(item.images)


@lru_cache(maxsize=1024)
def _parsed(text: str) -> dict[str, str]:
    # Read for every pass: the same few strings recur, so they are parsed once.
    return {str(k): str(v) for k, v in json.loads(text).items()}


def _key(program_id: str, kind: str, version: str, name: str) -> str:
    return f"programs/{program_id}/{kind}/{version}/{name}"


def images_view(item: ProgramItem) -> dict[str, dict[str, object]]:
    """For each kind: whether it is uploaded, its version, and the URL it is served at."""
    base = f"{settings().public_base_url}/v1/programs/{item.program_id}/images"
    current = versions(item)
    return {
        kind: {
            "uploaded": kind in current,
            "version": current.get(kind),
            "url": f"{base}/{kind}.png" + (f"?v={current[kind]}" if kind in current else ""),
        }
        for kind in KINDS
    }


def load_images(principal: Principal, program_id: str) -> ProgramItem:
    """The merchant's program, for its images' view (another merchant's is NotFound)."""
    return load_program(program_id, principal.merchant_id)


def upload(
    principal: Principal, program_id: str, kind: str, data: bytes
) -> tuple[ProgramItem, PassUpdates | None]:
    """Make `data` the program's `kind` image; every pass gets it (the fan-out).

    Raises NotFound for another merchant's program, and brand.decode's refusals
    (413, 415, 422) before anything is stored.
    """
    from chalicelib.wallet import brand  # Pillow: imported late, as in passes.build

    item = load_program(program_id, principal.merchant_id)
    derived = brand.derive(_kind(kind), data)
    version = derived.version
    blobs.put(_key(program_id, kind, version, "original"), data, derived.media_type)
    for name, file in derived.files.items():
        blobs.put(_key(program_id, kind, version, name), file, "image/png")
        derived_files().put((program_id, version, name), file)
    current = versions(item)
    if current.get(kind) == version:
        return item, None  # the same bytes again: nothing on the passes changes
    updated = {**current, kind: version}
    updates = _set_versions(item, updated)
    if kind in current:
        _forget_objects(program_id, kind, current[kind])
    return item, updates


def remove(
    principal: Principal, program_id: str, kind: str
) -> tuple[ProgramItem, PassUpdates | None]:
    """Go back to the generated `kind` image (nothing changes when none was uploaded)."""
    item = load_program(program_id, principal.merchant_id)
    current = versions(item)
    if kind not in current:
        return item, None
    previous = current[kind]
    updates = _set_versions(item, {k: v for k, v in current.items() if k != kind})
    _forget_objects(program_id, kind, previous)
    return item, updates


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise NotFound("No such image: logo, icon or strip.")
    return cast("Kind", kind)


def _set_versions(item: ProgramItem, updated: dict[str, str]) -> PassUpdates | None:
    text = json.dumps(updated, sort_keys=True) if updated else None
    action = ProgramItem.images.set(text) if text else ProgramItem.images.remove()
    updates = commit_change(item, [action], visible=True)
    item.images = text
    return updates


def _forget_objects(program_id: str, kind: str, version: str) -> None:
    """Delete a replaced upload's objects; a failure only leaves them behind."""
    from chalicelib.wallet import brand

    names = ["original", *brand.apple_files(_kind(kind))]
    names += {"logo": [brand.GOOGLE_LOGO], "strip": [brand.GOOGLE_HERO]}.get(kind, [])
    try:
        blobs.delete([_key(program_id, kind, version, name) for name in names])
    except Exception:  # the bucket's lifecycle or a later delete takes them
        log.warning("brand image objects left in S3: %s/%s/%s", program_id, kind, version)


def _file(program_id: str, kind: str, version: str, name: str) -> bytes | None:
    """A derived file from this process's cache, else from S3 (then cached)."""
    data = derived_files().get((program_id, version, name))
    if data is None:
        data = blobs.get(_key(program_id, kind, version, name))
        if data is None:
            log.warning("brand image missing in S3: %s/%s/%s/%s", program_id, kind, version, name)
            return None
        derived_files().put((program_id, version, name), data)
    return data


def pass_files(item: ProgramItem) -> dict[str, bytes]:
    """The uploaded images' files for a pass, by file name ({} when none were uploaded).

    `item` is the program the pass is built from, so its versions are the ones
    that triggered the pass; a file missing in S3 leaves the generated one.
    """
    current = versions(item)
    if not current:
        return {}
    from chalicelib.wallet import brand

    files: dict[str, bytes] = {}
    for kind, version in current.items():
        for name in brand.apple_files(_kind(kind)):
            data = _file(item.program_id, kind, version, name)
            if data is not None:
                files[name] = data
    return files


def image_url(item: ProgramItem, name: str) -> str | None:
    """The URL of an uploaded image `name` ("programlogo", "hero"), carrying its version so
    that Google fetches it again after a new upload; None when not uploaded."""
    kind = _SERVED[name][0]
    version = versions(item).get(kind)
    if version is None:
        return None
    base = settings().public_base_url
    return f"{base}/v1/programs/{item.program_id}/images/{name}.png?v={version}"


def program_image(program_id: str, name: str) -> Served:
    """The image `name` (logo, icon, strip, programlogo, hero) as served publicly.

    The upload when there is one (its ETag the upload's version), else the
    generated image of the program's current design. Raises NotFound for another
    name, and for the hero image of a program without an uploaded strip.
    """
    if name not in _SERVED:
        raise NotFound("No such image: logo, icon, strip, programlogo or hero.")
    item, _ = current_program(program_id)
    kind, file_name = _SERVED[name]
    version = versions(item).get(kind)
    if version is not None:
        data = _file(program_id, kind, version, file_name)
        if data is not None:
            return Served(data, f'"{version}"')
    if name == "hero":
        raise NotFound("No hero image: upload a strip.")
    return _generated(item, "logo" if name == "programlogo" else name)


def _generated(item: ProgramItem, name: str) -> Served:
    from chalicelib.wallet.apple import images  # Pillow: imported late, as in passes.build
    from chalicelib.wallet.brand import version_of

    program = program_of(item)
    design = program.design
    data = images.program_image(
        name,
        program.kind,
        design.background_color if design else None,
        design.foreground_color if design else None,
        design.logo_text if design else None,
        program.stamps.required if program.stamps else None,
    )
    return Served(data, f'"{version_of(data)}"')

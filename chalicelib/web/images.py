"""Brand images: the owner uploads a logo, icon or strip; every pass gets it.

The body is the image's raw bytes (PNG, JPEG or WebP, at most 5 MB), not JSON. Its
Content-Type only has to be one API Gateway passes through as binary (app.py's
binary_types); what the image is, is judged from its bytes (wallet/brand.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chalicelib.domain.roles import Role
from chalicelib.errors import ImageTooLarge, UnsupportedMediaType
from chalicelib.services import program_images
from chalicelib.services.programs import PassUpdates
from chalicelib.web.routing import Api, Call
from chalicelib.web.schemas import PassUpdatesOut

api = Api(__name__, tag="programs")

# The types app.py declares binary: any other would reach the view as text.
UPLOAD_TYPES = ("image/png", "image/jpeg", "image/webp", "application/octet-stream")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ImageOut(BaseModel):
    uploaded: bool = Field(description="False: the image generated from the design is used")
    version: str | None = Field(description="The upload's content hash (the served ETag)")
    url: str = Field(description="Where the image is served (3x), with ?v=<version> if uploaded")


class ImagesOut(BaseModel):
    logo: ImageOut
    icon: ImageOut
    strip: ImageOut
    pass_updates: PassUpdatesOut | None = Field(
        default=None, description="After a change: the job updating every pass"
    )


def _answer(item: Any, updates: PassUpdates | None) -> dict[str, Any]:
    view: dict[str, Any] = program_images.images_view(item)
    if updates is not None:
        view["pass_updates"] = {"job_id": updates.job_id, "members": updates.members}
    return view


@api.route(
    "/v1/programs/{program_id}/images/{image_file}",
    "PUT",
    summary="Upload the program's logo, icon or strip (raw PNG, JPEG or WebP bytes, 5 MB at most)",
    role=Role.owner,
    response=ImagesOut,
    errors=(404, 409, 413, 415, 422),
)
def upload_image(call: Call, program_id: str, image_file: str) -> dict[str, Any]:
    media = (call.request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media not in UPLOAD_TYPES:
        raise UnsupportedMediaType(
            "Send the image's bytes as image/png, image/jpeg, image/webp or "
            "application/octet-stream."
        )
    data = call.raw_body
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageTooLarge(f"An image is at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    item, updates = program_images.upload(call.me, program_id, image_file, data)
    return _answer(item, updates)


@api.route(
    "/v1/programs/{program_id}/images/{image_file}",
    "DELETE",
    summary="Go back to the generated logo, icon or strip",
    role=Role.owner,
    response=ImagesOut,
    errors=(404, 409),
)
def remove_image(call: Call, program_id: str, image_file: str) -> dict[str, Any]:
    item, updates = program_images.remove(call.me, program_id, image_file)
    return _answer(item, updates)


@api.route(
    "/v1/programs/{program_id}/images",
    "GET",
    summary="Which of the program's images are uploaded, and where each is served",
    role=Role.manager,
    response=ImagesOut,
    errors=(404,),
)
def list_images(call: Call, program_id: str) -> dict[str, Any]:
    return _answer(program_images.load_images(call.me, program_id), None)

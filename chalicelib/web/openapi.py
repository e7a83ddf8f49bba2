"""/openapi.json, generated from the routes' own request and response models."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.web.routing import ROUTES, Api, Call, json_response
from chalicelib.web.schemas import ErrorBody

api = Api(__name__, tag="meta")

_REF = "#/components/schemas/{model}"


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for spec in ROUTES:
        models.update(m for m in (spec.body, spec.response) if m is not None)
        models.update(model for _, model in spec.others)
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if _is_input(m) else "serialization") for m in models
    ]
    refs, defs = models_json_schema(keyed, ref_template=_REF)
    schemas = defs.get("$defs", {})

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return refs[(model, mode)]

    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        operation: dict[str, Any] = {
            "summary": spec.summary,
            "tags": [spec.tag],
            "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', spec.path.lower())}",
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", spec.path)
        ]
        if spec.query is not None:
            query_schema = spec.query.model_json_schema()
            for name, prop in query_schema.get("properties", {}).items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in query_schema.get("required", []),
                        "schema": prop,
                    }
                )
        if params:
            operation["parameters"] = params
        if spec.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(spec.body, "validation")}},
            }
        if spec.role is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = f"Needs the {spec.role.name} role or above."
        ok: dict[str, Any] = {"description": "Success"}
        if spec.response is not None:
            ok["content"] = {spec.content_type: {"schema": ref(spec.response, "serialization")}}
        for status in (spec.status, *spec.also):
            operation["responses"][str(status)] = ok
        for status, model in spec.others:
            operation["responses"][str(status)] = {
                "description": "Success",
                "content": {spec.content_type: {"schema": ref(model, "serialization")}},
            }
        errors = set(spec.errors)
        if spec.body is not None:
            errors |= {400, 413, 415, 422}  # malformed, too large, not JSON, out of range
        if spec.query is not None:
            errors |= {400, 422}
        if spec.role is not None:
            errors |= {401, 403}
        if "{" in spec.path:
            errors.add(404)  # a malformed path id, refused before the view runs
        for status in sorted(errors):
            operation["responses"][str(status)] = {
                "description": "Error",
                "content": {"application/json": {"schema": ref(ErrorBody, "serialization")}},
            }
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wallet loyalty API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _is_input(model: type[BaseModel]) -> bool:
    return any(spec.body is model for spec in ROUTES)


@api.route("/openapi.json", "GET", summary="This document")
def openapi(call: Call) -> object:
    return json_response(document(), headers={"Cache-Control": "public, max-age=300"})

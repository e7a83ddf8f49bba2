"""A program's images (logo, icon, strip) as PNG, for Google Wallet and the pages."""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.services.programs import load_program, program_of


def program_image(program_id: str, name: str) -> bytes:
    """The image `name` ("logo", "icon" or "strip") of the program's current design."""
    from chalicelib.wallet.apple import images  # Pillow: imported late, as in passes.build

    program = program_of(load_program(program_id))
    design = program.design
    try:
        return images.program_image(
            name,
            program.kind,
            design.background_color if design else None,
            design.foreground_color if design else None,
            design.logo_text if design else None,
            program.stamps.required if program.stamps else None,
        )
    except KeyError as exc:
        raise NotFound("No such image: logo.png, icon.png or strip.png.") from exc

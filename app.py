"""The Chalice app: the composition root (settings, clock, logging, the store), then routes."""

import gc

# Every Lambda's cold start runs this import. The objects it makes live as long as
# the process, so the collector's passes over them are wasted (about 30 ms); it is
# paused meanwhile, and they are frozen out of its view afterwards (bench/coldstart.py).
gc.disable()

from chalicelib import root
from chalicelib.handlers.operations import operations
from chalicelib.handlers.outbox import events
from chalicelib.handlers.schedules import schedules
from chalicelib.logs import configure_logging
from chalicelib.store import db
from chalicelib.web import (
    apple,
    google,
    health,
    images,
    ledger,
    members,
    openapi,
    pages,
    programs,
    staff,
)
from chalicelib.web.application import Chalice

# The composition root: the settings read from the environment and the system's clock,
# installed for every handler of this process; every model is pointed at the
# configured endpoint and tables before any handler can run.
process = root.install(root.build())
configure_logging()
db.bind(process.settings)
app = Chalice(app_name="wallet-loyalty")
# Brand image uploads arrive as bytes only under a binary type (web/images.py).
app.api.binary_types.extend(
    [
        "application/vnd.apple.pkpass",
        "image/png",
        "image/jpeg",
        "image/webp",
        "application/octet-stream",
    ]
)

for module in (openapi, health, staff, programs, images, members, ledger, apple, google, pages):
    app.register_blueprint(module.api.blueprint)
# Mail read back from the embedded SES, for trying the local run by hand; never deployed.
if process.settings.stage in ("local", "test"):
    from chalicelib.web import devmail

    app.register_blueprint(devmail.api.blueprint)
app.register_blueprint(events)
app.register_blueprint(schedules)
app.register_blueprint(operations)

gc.freeze()
gc.enable()

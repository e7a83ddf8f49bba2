"""The Chalice app: registers the blueprints and nothing else."""

from chalicelib.logs import configure_logging
from chalicelib.web import apple, ledger, members, openapi, programs, staff
from chalicelib.web.application import Chalice

configure_logging()
app = Chalice(app_name="wallet-loyalty")
app.api.binary_types.extend(["application/vnd.apple.pkpass", "image/png"])

for module in (openapi, staff, programs, members, ledger, apple):
    app.register_blueprint(module.api.blueprint)

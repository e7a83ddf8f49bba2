"""A stage's settings as `.chalice/config.json` gives them to its Lambdas."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"


@dataclass(frozen=True)
class Stage:
    name: str
    app_name: str
    environment: dict[str, str]
    log_retention_in_days: int | None = None
    # Memory in MB: the stage's default, and each function's own where it sets one.
    memory_mb: int = 128
    function_memory_mb: dict[str, int] = field(default_factory=dict)

    def memory_of(self, function: str) -> int:
        """A function's memory, as Chalice resolves it."""
        return self.function_memory_mb.get(function, self.memory_mb)

    @property
    def table_prefix(self) -> str:
        return self.environment["TABLE_PREFIX"]

    @property
    def prefix(self) -> str:
        """What Chalice names this stage's functions with: `<app>-<stage>`."""
        return f"{self.app_name}-{self.name}"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-dead-letters"

    @property
    def mail_from(self) -> str:
        """The SES identity the card emails are sent from (MAIL_FROM)."""
        return self.environment["MAIL_FROM"]

    @property
    def images_bucket(self) -> str:
        """The S3 bucket of the brand images (IMAGES_BUCKET), made by the template."""
        return self.environment["IMAGES_BUCKET"]

    @property
    def secret_ids(self) -> dict[str, str]:
        """The secrets the code reads, by the variable that names each."""
        names = ("SECRETS_ID", "APPLE_SECRET_ID", "GOOGLE_SERVICE_ACCOUNT_SECRET_ID")
        return {name: self.environment[name] for name in names}


def load(name: str, config_file: Path = CONFIG) -> Stage:
    """The deployed stage `name`; refuses the local stage, which has no AWS resources."""
    config = json.loads(config_file.read_text())
    if name not in config["stages"] or name == "local":
        deployable = sorted(s for s in config["stages"] if s != "local")
        raise SystemExit(f"unknown stage {name!r}: one of {', '.join(deployable)}")
    stage = config["stages"][name]
    environment = dict(config.get("environment_variables", {}))
    environment.update(stage.get("environment_variables", {}))
    return Stage(
        name=name,
        app_name=config["app_name"],
        environment=environment,
        log_retention_in_days=stage.get(
            "log_retention_in_days", config.get("log_retention_in_days")
        ),
        memory_mb=int(stage.get("lambda_memory_size", config.get("lambda_memory_size", 128))),
        function_memory_mb={
            name: int(own["lambda_memory_size"])
            for name, own in stage.get("lambda_functions", {}).items()
            if "lambda_memory_size" in own
        },
    )

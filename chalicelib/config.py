"""Settings: the environment, read once into a frozen value (by the composition root)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Issuer ids are int64 numbers issued by the Google Pay & Wallet Console; the dev
# default only has to look like one (the local run never reaches Google).
DEV_GOOGLE_ISSUER_ID = "3388000000000000001"


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    dynamodb_endpoint: str | None
    table_prefix: str
    public_base_url: str
    # Where secrets live: a folder of generated files in the local run, a
    # Secrets Manager secret id in a deployed stage.
    secrets_dir: str | None
    secrets_id: str | None
    jwt_audience: str
    jwt_issuer: str
    login_token_seconds: int
    idempotency_days: int
    password_memory_kib: int
    password_time_cost: int
    # Apple Wallet: the Pass Type ID and team of the signing certificate, and where
    # the certificate lives (a folder locally, a Secrets Manager secret deployed).
    pass_type_identifier: str
    team_identifier: str
    apple_certs_dir: str | None
    apple_secret_id: str | None
    pass_download_days: int
    # Google Wallet: None API URL means the local run logs the calls it would make.
    google_wallet_api_url: str | None
    google_service_account_file: str | None
    google_service_account_secret_id: str | None
    google_issuer_id: str
    google_origins: tuple[str, ...]
    google_keys_url: str
    # Push delivery: None APNs endpoint means log the pushes it would send.
    apns_endpoint: str | None
    apns_ca_file: str | None
    dead_letter_queue_url: str | None
    delivery_max_attempts: int
    # Email (Amazon SES v2): None sender means log the mail that would be sent.
    ses_endpoint: str | None
    mail_from: str | None
    # Brand images (S3): the bucket, and an endpoint for moto's S3 in the local run.
    images_bucket: str
    s3_endpoint: str | None
    # Enrolments per source address and per program per hour; 0 turns a limit off.
    enrolment_limit_per_address: int
    enrolment_limit_per_program: int


def settings() -> Settings:
    """The settings of the process's composition root (chalicelib.root)."""
    from chalicelib import root  # the root is built from this module's Settings

    return root.current().settings


def load_settings(environ: Mapping[str, str]) -> Settings:
    """The settings these environment variables give."""

    def _int(name: str, default: int) -> int:
        return int(environ.get(name, default))

    stage = environ.get("STAGE", "local")
    public_base_url = environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return Settings(
        stage=stage,
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "eu-west-1",
        dynamodb_endpoint=environ.get("DYNAMODB_ENDPOINT") or None,
        table_prefix=environ.get("TABLE_PREFIX", f"loyalty-{stage}-"),
        public_base_url=public_base_url,
        secrets_dir=environ.get("SECRETS_DIR") or None,
        secrets_id=environ.get("SECRETS_ID") or None,
        jwt_audience=environ.get("JWT_AUDIENCE", "loyalty-api"),
        jwt_issuer=environ.get("JWT_ISSUER", f"loyalty-{stage}"),
        login_token_seconds=_int("LOGIN_TOKEN_SECONDS", 8 * 3600),
        idempotency_days=_int("IDEMPOTENCY_DAYS", 7),
        password_memory_kib=_int("PASSWORD_MEMORY_KIB", 65536),
        password_time_cost=_int("PASSWORD_TIME_COST", 3),
        pass_type_identifier=environ.get("PASS_TYPE_IDENTIFIER", "pass.dev.walletloyalty"),
        team_identifier=environ.get("TEAM_IDENTIFIER", "DEVTEAM001"),
        apple_certs_dir=environ.get("APPLE_CERTS_DIR") or None,
        apple_secret_id=environ.get("APPLE_SECRET_ID") or None,
        pass_download_days=_int("PASS_DOWNLOAD_DAYS", 30),
        google_wallet_api_url=environ.get("GOOGLE_WALLET_API_URL") or None,
        google_service_account_file=environ.get("GOOGLE_SERVICE_ACCOUNT_FILE") or None,
        google_service_account_secret_id=(environ.get("GOOGLE_SERVICE_ACCOUNT_SECRET_ID") or None),
        google_issuer_id=environ.get("GOOGLE_ISSUER_ID", DEV_GOOGLE_ISSUER_ID),
        google_origins=tuple(
            origin.strip()
            for origin in environ.get("GOOGLE_ORIGINS", public_base_url).split(",")
            if origin.strip()
        ),
        google_keys_url=environ.get("GOOGLE_KEYS_URL", "https://pay.google.com/gp/m/issuer/keys"),
        apns_endpoint=environ.get("APNS_ENDPOINT") or None,
        apns_ca_file=environ.get("APNS_CA_FILE") or None,
        dead_letter_queue_url=environ.get("DEAD_LETTER_QUEUE_URL") or None,
        delivery_max_attempts=_int("DELIVERY_MAX_ATTEMPTS", 10),
        ses_endpoint=environ.get("SES_ENDPOINT") or None,
        mail_from=environ.get("MAIL_FROM") or None,
        images_bucket=environ.get("IMAGES_BUCKET") or f"wallet-loyalty-{stage}-images",
        s3_endpoint=environ.get("S3_ENDPOINT") or None,
        enrolment_limit_per_address=_int("ENROLMENT_LIMIT_PER_ADDRESS", 60),
        enrolment_limit_per_program=_int("ENROLMENT_LIMIT_PER_PROGRAM", 1000),
    )

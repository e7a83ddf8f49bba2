"""Run the shipped zip as Lambda runs it, before it ships: `python -m deploy smoke --stage S`.

The zip's native wheels (cryptography, pydantic-core, Pillow, argon2) are the
manylinux builds chalice downloaded, not the ones the tests ran on, and deploy/slim.py
removed files from it. So `make package` unpacks it and, in an interpreter that sees
only the package and the standard library, calls its handlers with API Gateway
events against an embedded DynamoDB: a merchant, a sign-in, a program, an enrolment,
a stamp and a signed pass, each answer checked. Secrets are dev ones from a folder
(the settings prefer SECRETS_DIR and APPLE_CERTS_DIR to Secrets Manager).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from deploy.stage import Stage

# Runs inside the package. Each step: (name, event) in, (name, status) out; a failed
# check raises, and the process's exit status says so.
_SCRIPT = r"""
import base64, io, json, sys, uuid, zipfile
import app
from chalicelib.handlers.operations import create_merchant

def call(method, path, resource, params=None, body=None, token=None, query=None):
    event = {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": {"content-type": "application/json", "accept": "*/*",
                    **({"authorization": f"Bearer {token}"} if token else {})},
        "multiValueHeaders": {}, "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": params, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": path,
                           "stage": "api", "identity": {"sourceIp": "127.0.0.1"}},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }
    answer = app.app(event, None)
    print(json.dumps([method + " " + resource, answer["statusCode"]]), flush=True)
    return answer

def ok(answer, status):
    assert answer["statusCode"] == status, answer
    return answer if answer.get("isBase64Encoded") else json.loads(answer["body"])

ok(call("GET", "/v1/health", "/v1/health"), 200)
email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
made = create_merchant({"name": "Smoke Café", "owner_email": email}, None)
token = ok(call("POST", "/v1/auth/login", "/v1/auth/login",
                body={"email": email, "password": made["password"]}), 200)["token"]
program = ok(call("POST", "/v1/programs", "/v1/programs", token=token, body={
    "name": "Coffee card", "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}}}), 201)
pid = program["program_id"]
member = ok(call("POST", f"/v1/programs/{pid}/enrollments",
                 "/v1/programs/{program_id}/enrollments", params={"program_id": pid},
                 body={"name": "Ada", "email": "ada@example.com", "consent": {"terms": True}}), 201)
mid = member["member_id"]
stamped = ok(call("POST", f"/v1/members/{mid}/stamps", "/v1/members/{member_id}/stamps",
                  params={"member_id": mid}, token=token,
                  body={"count": 2, "idempotency_key": "smoke-1"}), 200)
assert stamped["member"]["balances"]["stamps"] == 2, stamped
download = member["passes"]["apple_url"].split("?token=")[1]
pkpass = ok(call("GET", f"/v1/passes/apple/{mid}.pkpass", "/v1/passes/apple/{pass_file}",
                 params={"pass_file": f"{mid}.pkpass"}, query={"token": download}), 200)
archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(pkpass["body"])))
assert {"pass.json", "manifest.json", "signature", "strip.png"} <= set(archive.namelist())
pass_json = json.loads(archive.read("pass.json"))
assert pass_json["serialNumber"] == mid and pass_json["barcodes"][0]["message"] == member["barcode"]
print(json.dumps(["pass files", sorted(archive.namelist())]))
"""


def smoke(package: Path, stage: Stage) -> list[str]:
    """Run the steps against `package`; the lines it printed. Raises SystemExit on a failure."""
    from chalicelib import root
    from chalicelib import secrets as service_secrets
    from chalicelib.store import db
    from localrun import devcerts
    from localrun.embedded_dynamodb import EmbeddedDynamoDB

    with tempfile.TemporaryDirectory(prefix="smoke-") as temporary:
        folder = Path(temporary)
        with zipfile.ZipFile(package) as archive:
            archive.extractall(folder / "task")
        service_secrets.generate(folder / "secrets")
        environment = {
            **stage.environment,
            "DYNAMODB_ENDPOINT": "",
            "SECRETS_DIR": str(folder / "secrets"),
            "APPLE_CERTS_DIR": str(folder / "certs"),
            "APNS_ENDPOINT": "",  # nothing leaves the machine
            "GOOGLE_WALLET_API_URL": "",
            "AWS_ACCESS_KEY_ID": "smoke",
            "AWS_SECRET_ACCESS_KEY": "smoke",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "PATH": os.environ.get("PATH", ""),
        }
        devcerts.generate_dev_chain(
            folder / "certs",
            environment["PASS_TYPE_IDENTIFIER"],
            environment["TEAM_IDENTIFIER"],
        )
        google_key = folder / "google.json"
        _google_key(google_key)
        environment["GOOGLE_SERVICE_ACCOUNT_FILE"] = str(google_key)
        environment.pop("GOOGLE_SERVICE_ACCOUNT_SECRET_ID", None)
        environment.pop("SECRETS_ID", None)
        environment.pop("APPLE_SECRET_ID", None)

        server = EmbeddedDynamoDB()
        environment["DYNAMODB_ENDPOINT"] = server.start()
        saved = dict(os.environ)
        try:
            os.environ.update(environment)
            previous = root.current()
            db.bind(root.install(root.build()).settings)
            db.create_tables()
            done = subprocess.run(
                [sys.executable, "-S", "-B", "-c", _bootstrap(folder / "task")],
                cwd=folder / "task",
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        finally:
            os.environ.clear()
            os.environ.update(saved)
            db.bind(root.install(previous).settings)
            server.stop()
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0:
        raise SystemExit("the packaged app failed:\n" + "\n".join(lines) + done.stderr[-3000:])
    return lines


def _bootstrap(task: Path) -> str:
    return f"import sys; sys.path.insert(0, {str(task)!r})\n{_SCRIPT}"


def _google_key(path: Path) -> None:
    from localrun import devkeys

    devkeys.generate_dev_service_account(path, "https://oauth2.googleapis.com/token")


def main(package: Path, stage: Stage) -> int:
    for line in smoke(package, stage):
        print("  " + " ".join(str(part) for part in json.loads(line)))
    print(f"{package}: the packaged handlers answered as expected")
    return 0

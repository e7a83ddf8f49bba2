"""`python -m deploy policy|resources|service-secret|...`: what `make package` runs.

- `policy --stage S [--check]`: write `.chalice/policy-S.json` and the API Lambda's
  `.chalice/policy-S-api.json` (or fail if either is stale).
- `resources --stage S --out F`: the template merged into `chalice package`'s.
- `slim --stage S`: trim and precompile `build/S/deployment.zip` (deploy/slim.py).
- `smoke --stage S`: run that zip's handlers as Lambda would (deploy/smoke.py).
- `service-secret`: a fresh JWT key, root key and Apple pass key as the service
  secret's JSON, to pipe into `aws secretsmanager put-secret-value` (docs/deploy.md).
- `rotate-service-secret`: the service secret's JSON read on stdin, with a new root
  key (the old one kept for checking) and Apple's key pinned (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deploy import stage as stages
from deploy.policy import policy
from deploy.stage import ROOT


def policy_file(name: str, api: bool = False) -> Path:
    """The stage's policy file; `api`: the API Lambda's own (config.json names it)."""
    return ROOT / ".chalice" / f"policy-{name}{'-api' if api else ''}.json"


def render(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_policy(args: argparse.Namespace) -> int:
    stage = stages.load(args.stage)
    for api in (False, True):
        target, text = policy_file(args.stage, api), render(policy(stage, api))
        if args.check:
            if not target.exists() or target.read_text() != text:
                print(f"{target} is stale: run `python -m deploy policy --stage {args.stage}`")
                return 1
            continue
        target.write_text(text)
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


def write_resources(args: argparse.Namespace) -> int:
    from app import app
    from deploy.template import merge_template

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(merge_template(stages.load(args.stage), app)))
    return 0


def slim_package(args: argparse.Namespace) -> int:
    from deploy.slim import slim

    folder = ROOT / "build" / args.stage
    before, after = slim(folder / "deployment.zip", folder / "sam.json")
    print(f"deployment.zip: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB")
    return 0


def smoke_package(args: argparse.Namespace) -> int:
    from deploy import smoke

    return smoke.main(ROOT / "build" / args.stage / "deployment.zip", stages.load(args.stage))


def service_secret(_: argparse.Namespace) -> int:
    from chalicelib.secrets import new_values

    sys.stdout.write(json.dumps(new_values()))
    return 0


def rotate_service_secret(_: argparse.Namespace) -> int:
    from chalicelib.secrets import rotated_values

    sys.stdout.write(json.dumps(rotated_values(json.load(sys.stdin))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy")
    commands = parser.add_subparsers(required=True)
    command = commands.add_parser("policy", help="write the stage's IAM policy file")
    command.add_argument("--stage", required=True)
    command.add_argument("--check", action="store_true", help="fail if the file is stale")
    command.set_defaults(func=write_policy)
    command = commands.add_parser("resources", help="write the template to merge")
    command.add_argument("--stage", required=True)
    command.add_argument("--out", type=Path, required=True)
    command.set_defaults(func=write_resources)
    command = commands.add_parser("slim", help="trim and precompile the packaged zip")
    command.add_argument("--stage", required=True)
    command.set_defaults(func=slim_package)
    command = commands.add_parser("smoke", help="run the packaged zip's handlers locally")
    command.add_argument("--stage", required=True)
    command.set_defaults(func=smoke_package)
    command = commands.add_parser("service-secret", help="print a fresh service secret")
    command.set_defaults(func=service_secret)
    command = commands.add_parser(
        "rotate-service-secret", help="rotate the root key of the secret read on stdin"
    )
    command.set_defaults(func=rotate_service_secret)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""Cold start: the size of the Lambda package, and what `import app` costs.

Every Lambda function of the app (the API, the schedules, the outbox stream) imports
app.py on a cold start, after Lambda has fetched and unpacked the package. The package
is built by `chalice package` for the prod stage, as a deploy builds it (wheels come
from PyPI; chalice keeps a copy in .chalice/deployments/, which git ignores). The
import is timed by `python -X importtime -c "import app"` in fresh processes with the
stage's environment; bytecode is cached in a folder of this run (as on any machine
that can write it), so the figure is the import's own work. The last figure imports
the unpacked package as Lambda runs it: /var/task is read-only and the zip holds no
.pyc, so every module is compiled from source first.

Targets (issue 10): the zip at most 15 MB, and `import app` at most 250 ms on this
machine (the cumulative time -X importtime gives `app`).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from deploy import stage as stages
from deploy.slim import SERVICES, slim

ROOT = Path(__file__).resolve().parents[1]
STAGE = "prod"
RUNS = 7
PACKAGED_RUNS = 3
ZIP_TARGET_MB = 15
# Sizes in MiB, as Lambda counts its own package limits ("50 MB" is 50 x 2**20 bytes).
MIB = 2**20
IMPORT_TARGET_MS = 250
# Never in the package: the project's own non-Lambda folders.
PROJECT_ONLY = frozenset(
    {"tests", "bench", "localrun", "docs", "deploy", "web-build", "build", "node_modules"}
)
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-") as temporary:
        folder = Path(temporary)
        package = build_package(folder / "package")
        zip_mb = None
        if package:
            print("as chalice packages it:")
            report_package(package)
            report_packaged_import(package, folder / "unpacked-raw")
            before, after = slim(package, package.parent / "sam.json")
            print(f"as make package ships it (deploy/slim.py): {before / MIB:.1f} -> ", end="")
            print(f"{after / MIB:.1f} MiB")
            zip_mb = report_package(package)
            report_packaged_import(package, folder / "unpacked")
        import_ms = report_import(folder / "pycache")

    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs: other work slows the timings")
    if zip_mb is not None:
        print(
            f"target zip <= {ZIP_TARGET_MB} MiB: {zip_mb:.1f} MiB {_met(zip_mb <= ZIP_TARGET_MB)}"
        )
    print(
        f"target import app <= {IMPORT_TARGET_MS} ms: {import_ms:.0f} ms "
        f"{_met(import_ms <= IMPORT_TARGET_MS)}"
    )


def build_package(out: Path) -> Path | None:
    """deployment.zip from `chalice package`, or None (with chalice's reason) when it fails."""
    chalice = Path(sys.executable).parent / "chalice"
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")}
    started = time.monotonic()
    done = subprocess.run(
        [str(chalice), "package", "--stage", STAGE, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"chalice package: failed ({done.returncode}), the zip is not measured")
        print("  " + "\n  ".join((done.stdout + done.stderr).strip().splitlines()[-8:]))
        return None
    print(f"chalice package --stage {STAGE}: {time.monotonic() - started:.0f} s", flush=True)
    return out / "deployment.zip"


def report_package(package: Path) -> float:
    """The zip's size in MiB; prints what fills it and what should not be there."""
    with zipfile.ZipFile(package) as archive:
        entries = archive.infolist()
    sizes: Counter[str] = Counter()
    dists: set[str] = set()
    chalice_files: list[str] = []
    botocore_data: Counter[str] = Counter()
    for entry in entries:
        top, _, rest = entry.filename.partition("/")
        if top.endswith(".dist-info"):
            dists.add(_normal(top.split("-")[0]))
            top = "*.dist-info"
        sizes[top] += entry.compress_size
        if top == "chalice" and not entry.is_dir():
            chalice_files.append(rest)
        if top == "botocore" and rest.startswith("data/") and rest.count("/") >= 2:
            botocore_data[rest.split("/")[1]] += entry.compress_size
    total = package.stat().st_size
    print(f"deployment.zip: {total / MIB:.1f} MiB, {len(entries):,} files; the largest:")
    for name, size in sizes.most_common(10):
        print(f"  {size / MIB:6.2f} MiB  {name}")

    dev = sorted(dists & _dev_requirements())
    project = sorted(PROJECT_ONLY & set(sizes))
    print(f"dev-only packages inside: {', '.join(dev) or 'none'}")
    print(f"project folders inside (tests, bench, localrun ...): {', '.join(project) or 'none'}")
    print(f"chalice inside: {', '.join(sorted(chalice_files))} (its runtime, added by chalice)")
    print(f".pyc files inside: {sum(e.filename.endswith('.pyc') for e in entries)}")

    # botocore ships the API models of every AWS service; the app calls only a few.
    unused = sum(size for service, size in botocore_data.items() if service not in SERVICES)
    print(f"botocore's models of services the app never calls: {unused / MIB:.1f} MiB", flush=True)
    return total / MIB


def report_import(pycache: Path) -> float:
    """The median cumulative ms of `app` under -X importtime, and the costliest modules."""
    env = _stage_environment()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    _python(["-c", "import app"], env)  # fills the bytecode cache; not counted

    cumulative: dict[str, list[int]] = defaultdict(list)
    own: dict[str, list[int]] = defaultdict(list)
    for _ in range(RUNS):
        for self_us, cumulative_us, name in _importtime(["-c", "import app"], env):
            cumulative[name].append(cumulative_us)
            own[name].append(self_us)
    app_ms = statistics.median(cumulative["app"]) / 1000
    print(
        f"import app (-X importtime, STAGE={STAGE}, bytecode cached): {app_ms:.0f} ms, "
        f"median of {RUNS}; the costliest modules (cumulative, self):"
    )
    costliest = sorted(
        (name for name in cumulative if name != "app"),
        key=lambda name: statistics.median(cumulative[name]),
        reverse=True,
    )
    for name in costliest[:10]:
        print(
            f"  {statistics.median(cumulative[name]) / 1000:6.1f} ms "
            f"{statistics.median(own[name]) / 1000:6.1f} ms  {name}"
        )
    by_package: Counter[str] = Counter()
    for name, times in own.items():
        by_package[name.split(".")[0]] += statistics.median(times)
    print(
        "  self time by top-level package: "
        + ", ".join(f"{name} {us / 1000:.0f}" for name, us in by_package.most_common(8))
        + " ms"
    )

    blank, loaded = [], []
    for _ in range(RUNS):
        blank.append(_wall(["-c", "pass"], env))
        loaded.append(_wall(["-c", "import app"], env))
    wall_ms = (statistics.median(loaded) - statistics.median(blank)) * 1000
    print(f'wall: python -c "import app" minus python -c "pass": {wall_ms:.0f} ms', flush=True)
    return app_ms


def report_packaged_import(package: Path, unpacked: Path) -> None:
    """`import app` from the unpacked zip alone (no site-packages), compiling as Lambda does."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    env = _stage_environment()
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(unpacked))
    env.pop("PYTHONPYCACHEPREFIX", None)
    try:
        times = [
            dict((name, total) for _, total, name in _importtime(["-S", "-c", "import app"], env))
            for _ in range(PACKAGED_RUNS)
        ]
    except subprocess.CalledProcessError as exc:
        print(f"import app from the package: skipped, {exc.stderr.strip().splitlines()[-1]}")
        return
    median_ms = statistics.median(t["app"] for t in times) / 1000
    print(
        f"import app from the unpacked zip, compiled from source as on Lambda: "
        f"{median_ms:.0f} ms, median of {PACKAGED_RUNS}",
        flush=True,
    )


def _stage_environment() -> dict[str, str]:
    """This process's environment with the stage's variables from .chalice/config.json."""
    env = {**os.environ, **stages.load(STAGE).environment}
    # A deployed stage has none of the local run's folders; Lambda names the region.
    for name in ("SECRETS_DIR", "APPLE_CERTS_DIR", "GOOGLE_SERVICE_ACCOUNT_FILE"):
        env.pop(name, None)
    env.setdefault("AWS_REGION", "eu-west-1")
    env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
    return env


def _python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _importtime(args: list[str], env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, module) for every module imported, from -X importtime."""
    done = _python(["-X", "importtime", *args], env)
    return [
        (int(match[1]), int(match[2]), match[4])
        for match in map(_IMPORT_LINE.match, done.stderr.splitlines())
        if match
    ]


def _wall(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    _python(args, env)
    return time.perf_counter() - started


def _dev_requirements() -> set[str]:
    """The distributions requirements-dev.txt adds to requirements.txt."""
    names = set()
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(_normal(re.split(r"[\[=<>~! ]", line)[0]))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()

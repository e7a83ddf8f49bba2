"""Make `chalice package`'s zip smaller and its cold start shorter.

- botocore ships the API models of every AWS service: 15.7 MB of a 29 MB zip. The
  code calls five services (SERVICES); the others' models go. A test checks that
  every `boto3.client(...)` in chalicelib names one of them.
- botocore's own CA bundle goes when certifi's is there: botocore then uses certifi's.
- Babel's CLDR data has some 1,150 locales (35 MB unpacked); the service formats
  dates and money in the languages of domain.languages only, so the others go
  (`root`, which every locale inherits from, stays). A package whose catalogues
  were not compiled (`make messages`) is refused: the service would compile them
  on every cold start.
- Lambda unpacks the zip to a read-only /var/task, so Python cannot cache
  bytecode there and compiles every module on every cold start (about 670 ms for
  `import app` here, against 265 ms with bytecode). The modules `import app` loads
  are compiled here, as unchecked-hash .pyc (valid whatever the files' times), for
  the Lambda runtime's Python, which must be the one running this.
"""

from __future__ import annotations

import json
import os
import py_compile
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from chalicelib.domain.languages import LANGUAGES

# The AWS services the code reaches through boto3/botocore (pynamodb is DynamoDB).
SERVICES = frozenset({"dynamodb", "s3", "secretsmanager", "sesv2", "sqs"})
_MODEL = re.compile(r"^botocore/data/([^/]+)/")
# Babel's locales the service speaks, by their data file's name ("fr", not "fr_CA").
LOCALES = frozenset({"root", *LANGUAGES})
_LOCALE_DATA = re.compile(r"^babel/locale-data/([^/]+)\.dat$")
_CATALOGUE = re.compile(r"^chalicelib/locales/([^/]+)/LC_MESSAGES/messages\.po$")

# Run in a fresh interpreter that sees only the package and the standard library:
# `import app`, as every Lambda does on a cold start, then the files it loaded. It
# also proves the package complete: a missing dependency fails `make package` here.
# The modules handlers import lazily (APNs, Google, Pillow) are left to compile on
# first use: precompiling them too would cost 0.8 MB for 120 ms, once per container.
_IMPORTED = """
import json, sys
import app
loaded = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())})
try:
    import boto3
except ImportError:  # a package without AWS (the tests' small ones)
    boto3 = None
for service in SERVICES if boto3 else ():  # the kept models suffice for every client
    boto3.client(service, region_name="eu-west-1")
print(json.dumps(loaded))
"""


def runtime_version(template: Path) -> str:
    """The Python of the template's functions, as 'X.Y' (chalice uses one for all)."""
    resources = json.loads(template.read_text())["Resources"]
    runtimes = {
        r["Properties"]["Runtime"]
        for r in resources.values()
        if r.get("Type") == "AWS::Serverless::Function"
    }
    (runtime,) = runtimes
    return runtime.removeprefix("python")


def slim(package: Path, template: Path) -> tuple[int, int]:
    """Rewrite `package` in place; its size before and after, in bytes."""
    before = package.stat().st_size
    wanted = runtime_version(template)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted != running:
        raise SystemExit(
            f"the functions run Python {wanted}: run this with {wanted}, not {running}"
        )
    with tempfile.TemporaryDirectory(prefix="slim-") as temporary:
        tree = Path(temporary) / "package"
        with zipfile.ZipFile(package) as archive:
            names = [n for n in archive.namelist() if _keep(n)]
            _check_catalogues(names)
            if {"certifi/cacert.pem", "botocore/cacert.pem"} <= set(names):
                # botocore trusts certifi's bundle when certifi is importable, so its
                # own copy of the same CAs is never read.
                names.remove("botocore/cacert.pem")
            archive.extractall(tree, members=names)
            modes = {info.filename: info.external_attr for info in archive.infolist()}
        compiled = _precompile(tree)
        rebuilt = package.with_suffix(".slim.zip")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name in names:
                if not name.endswith("/"):
                    _write(archive, tree, name, modes.get(name))
            for name in compiled:
                _write(archive, tree, name, None)
        os.replace(rebuilt, package)
    return before, package.stat().st_size


def _keep(name: str) -> bool:
    model = _MODEL.match(name)
    if model is not None:
        return model.group(1) in SERVICES
    locale = _LOCALE_DATA.match(name)
    if locale is not None:
        return locale.group(1) in LOCALES
    # pip's list of installed files, type stubs and SBOMs: nothing Python reads at run time.
    return not name.endswith(_UNREAD)


def _check_catalogues(names: list[str]) -> None:
    present = set(names)
    missing = [
        name
        for name in names
        if _CATALOGUE.match(name) and name.removesuffix(".po") + ".mo" not in present
    ]
    if missing:
        raise SystemExit(f"catalogues not compiled (run `make messages`): {', '.join(missing)}")


_UNREAD = (".dist-info/RECORD", ".pyi", ".cyclonedx.json", "/sbom.json")


def _write(archive: zipfile.ZipFile, tree: Path, name: str, mode: int | None) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = mode if mode else 0o644 << 16
    archive.writestr(info, (tree / name).read_bytes(), compresslevel=9)


def _precompile(tree: Path) -> list[str]:
    """Compile the modules a cold start imports; the archive names of the .pyc made."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "STAGE": "prod",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(tree)!r})\n"
            + _IMPORTED.replace("SERVICES", repr(sorted(SERVICES))),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"importing the package failed:\n{done.stderr[-2000:]}")
    made = []
    for file in json.loads(done.stdout.strip().splitlines()[-1]):
        source = Path(file)
        if source.suffix != ".py" or not source.is_relative_to(tree):
            continue
        target = Path(
            py_compile.compile(
                str(source),
                cfile=None,
                dfile=str(Path("/var/task") / source.relative_to(tree)),
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        )
        made.append(target.relative_to(tree).as_posix())
    return made

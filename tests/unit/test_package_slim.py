"""deploy/slim.py: what `make package` drops from and adds to chalice's zip."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from deploy.slim import SERVICES, slim

ROOT = Path(__file__).resolve().parents[2]


def _template(folder: Path, runtime: str) -> Path:
    template = folder / "sam.json"
    function = {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": runtime}}
    template.write_text(json.dumps({"Resources": {"APIHandler": function}}))
    return template


def _package(folder: Path, files: dict[str, str]) -> Path:
    package = folder / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return package


def test_unused_models_and_pip_records_go_and_what_import_app_loads_is_precompiled(tmp_path):
    package = _package(
        tmp_path,
        {
            "app.py": "import cafe.rules\n",
            "cafe/__init__.py": "",
            "cafe/rules.py": "STAMPS = 10\n",
            "cafe/reports.py": "LATER = True\n",  # not imported by app: left as source
            "botocore/data/ec2/2016-11-15/service-2.json.gz": "x" * 5000,
            "botocore/data/sqs/2012-11-05/service-2.json.gz": "sqs",
            "botocore/data/endpoints.json": "{}",
            "cafe-1.0.dist-info/RECORD": "cafe/rules.py,sha256=...\n",
            "cafe-1.0.dist-info/METADATA": "Name: cafe\nVersion: 1.0\n",
            "cafe/rules.pyi": "STAMPS: int\n",
            "botocore/cacert.pem": "CAs",
            "certifi/cacert.pem": "CAs",
        },
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"

    slim(package, _template(tmp_path, version))

    names = set(zipfile.ZipFile(package).namelist())
    tag = sys.implementation.cache_tag
    assert "botocore/data/ec2/2016-11-15/service-2.json.gz" not in names
    assert "botocore/data/sqs/2012-11-05/service-2.json.gz" in names
    assert "botocore/data/endpoints.json" in names
    assert "cafe-1.0.dist-info/RECORD" not in names
    assert "cafe-1.0.dist-info/METADATA" in names  # versions are read from it at run time
    assert "cafe/rules.pyi" not in names
    assert "botocore/cacert.pem" not in names  # botocore reads certifi's, which stays
    assert "certifi/cacert.pem" in names
    assert {f"cafe/__pycache__/rules.{tag}.pyc", f"__pycache__/app.{tag}.pyc"} <= names
    assert f"cafe/__pycache__/reports.{tag}.pyc" not in names
    assert "cafe/rules.py" in names  # sources stay, for readable tracebacks

    # The bytecode is what Python loads from the unpacked package, as on Lambda.
    unpacked = tmp_path / "task"
    zipfile.ZipFile(package).extractall(unpacked)
    loaded = subprocess.run(
        [sys.executable, "-S", "-B", "-c", "import cafe.rules as r; print(r.__cached__)"],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(loaded).exists()


def test_a_package_for_another_python_is_refused(tmp_path):
    package = _package(tmp_path, {"app.py": ""})
    with pytest.raises(SystemExit, match=r"run this with 3\.9"):
        slim(package, _template(tmp_path, "python3.9"))


def test_every_aws_service_the_code_calls_keeps_its_model():
    used = {"dynamodb"}  # pynamodb
    for path in (ROOT / "chalicelib").rglob("*.py"):
        used.update(re.findall(r"boto3\.client\(\s*\"([a-z0-9-]+)\"", path.read_text()))
    assert used == SERVICES


def test_botocores_own_ca_bundle_stays_when_certifi_is_not_packaged(tmp_path):
    package = _package(tmp_path, {"app.py": "", "botocore/cacert.pem": "CAs"})
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    slim(package, _template(tmp_path, version))
    assert "botocore/cacert.pem" in zipfile.ZipFile(package).namelist()


def test_only_the_locales_the_service_speaks_stay_and_the_catalogues_must_be_compiled(tmp_path):
    files = {
        "app.py": "",
        "babel/__init__.py": "",
        "babel/global.dat": "g",
        **{
            f"babel/locale-data/{name}.dat": name
            for name in ("root", "fr", "de", "pt", "ja", "fr_CA")
        },
        "chalicelib/locales/fr/LC_MESSAGES/messages.po": "po",
    }
    template = _template(tmp_path, f"python{sys.version_info.major}.{sys.version_info.minor}")
    uncompiled = _package(tmp_path, files)

    with pytest.raises(SystemExit, match="make messages"):
        slim(uncompiled, template)
    compiled = _package(tmp_path, {**files, "chalicelib/locales/fr/LC_MESSAGES/messages.mo": "mo"})
    slim(compiled, template)

    names = set(zipfile.ZipFile(compiled).namelist())
    kept = {
        n.removeprefix("babel/locale-data/") for n in names if n.startswith("babel/locale-data")
    }
    assert kept == {"root.dat", "fr.dat", "de.dat", "pt.dat"}
    assert "babel/global.dat" in names
    assert "chalicelib/locales/fr/LC_MESSAGES/messages.mo" in names

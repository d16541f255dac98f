"""The wheel installs: built from the sources, installed into a fresh virtual environment outside the checkout, it
imports every module of the package (a wheel of `packages = ["makemore"]` had no makemore/models/)."""

import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from helpers import ROOT

IMPORT_ALL = """
import importlib, pkgutil, sys, makemore
assert makemore.__file__.startswith(sys.prefix), f"imported {makemore.__file__}, not the installed wheel's"
names = [m.name for m in pkgutil.walk_packages(makemore.__path__, "makemore.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


@pytest.mark.slow
def test_the_wheel_installs_outside_the_checkout_and_imports_every_module(tmp_path):
    source = tmp_path / "source"  # a copy: building writes build/ and an egg-info beside the sources
    shutil.copytree(ROOT / "makemore", source / "makemore", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp_path / "dist",
                    source], check=True, timeout=300)  # fmt: skip
    wheel = next((tmp_path / "dist").glob("makemore-*.whl"))
    packaged = {n.rpartition("/")[0] for n in zipfile.ZipFile(wheel).namelist() if n.endswith("/__init__.py")}
    on_disk = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "makemore").rglob("__init__.py")}
    assert packaged == on_disk, f"subpackages missing from the wheel: {sorted(on_disk - packaged)}"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    # torch, Hydra and the rest from this interpreter's site-packages, as a plain path: its .pth files (this
    # checkout's editable install among them) are not run, so makemore can come only from the wheel
    (tmp_path / "venv" / site.split(str(venv) + "/")[1] / "deps.pth").write_text(sysconfig.get_paths()["purelib"])
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], check=True, timeout=300)
    proc = subprocess.run([python, "-c", IMPORT_ALL], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.strip()) == len([p for p in (ROOT / "makemore").rglob("*.py")]) - 1  # all but __init__

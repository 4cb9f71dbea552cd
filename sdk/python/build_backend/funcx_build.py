"""A PEP 517 / PEP 660 build backend for the funcx_ts package, standard library only.

Why not setuptools: pip builds in an isolated environment and would download
the backend from PyPI, which machines without PyPI access (and air-gapped
clusters) cannot reach. This package is pure Python with no dependencies, so a
wheel is a zip of funcx_ts/*.py (and py.typed) plus the dist-info files, written here.
Metadata lives in METADATA below (pyproject.toml's [project] table says the same for
tools that read it); the version is read from funcx_ts/__init__.py.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "funcx_ts"
DIST_NAME = "funcx_ts"  # the distribution "funcx-ts", normalized for file names
SUMMARY = "Python client of funcX-TS, a federated Function-as-a-Service platform"
TAG = "py3-none-any"


def _version():
    with open(os.path.join(ROOT, PACKAGE, "__init__.py"), encoding="utf-8") as f:
        match = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    if not match:
        raise RuntimeError("no __version__ in funcx_ts/__init__.py")
    return match.group(1)


def _metadata():
    readme_path = os.path.join(ROOT, "README.md")
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    return ("Metadata-Version: 2.1\nName: funcx-ts\nVersion: %s\nSummary: %s\nLicense: Apache-2.0\n"
            "Requires-Python: >=3.9\nDescription-Content-Type: text/markdown\n\n%s"
            % (_version(), SUMMARY, readme))


def _package_files():
    """(path inside the wheel, absolute path) for every module of the package."""
    files = []
    for folder, dirs, names in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or name == "py.typed":  # py.typed: PEP 561, the package's annotations count
                absolute = os.path.join(folder, name)
                files.append((os.path.relpath(absolute, ROOT).replace(os.sep, "/"), absolute))
    return files


def _dist_info():
    return "%s-%s.dist-info" % (DIST_NAME, _version())


def _write_wheel(wheel_directory, entries):
    """entries: (path in the wheel, bytes). Adds WHEEL, METADATA and RECORD; returns the file name."""
    dist_info = _dist_info()
    entries = list(entries) + [
        (dist_info + "/METADATA", _metadata().encode("utf-8")),
        (dist_info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: funcx_build\nRoot-Is-Purelib: true\nTag: %s\n"
                                % TAG).encode("ascii")),
        (dist_info + "/top_level.txt", (PACKAGE + "\n").encode("ascii")),
    ]
    record = []
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(dist_info + "/RECORD,,")
    entries.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    name = "%s-%s-%s.whl" % (DIST_NAME, _version(), TAG)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in entries:
            wheel.writestr(path, data)
    return name


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# -- PEP 517 hooks ---------------------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(path, _read(absolute)) for path, absolute in _package_files()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # PEP 660: a .pth file puts this folder on sys.path, so edits take effect without reinstalling.
    return _write_wheel(wheel_directory, [("funcx_ts_editable.pth", (ROOT + "\n").encode("utf-8"))])


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (DIST_NAME, _version())
    name = base + ".tar.gz"
    sources = [("pyproject.toml", os.path.join(ROOT, "pyproject.toml")),
               ("README.md", os.path.join(ROOT, "README.md")),
               ("build_backend/funcx_build.py", os.path.abspath(__file__))] + _package_files()
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, absolute in sources:
            archive.add(absolute, arcname="%s/%s" % (base, path))
        info = tarfile.TarInfo("%s/PKG-INFO" % base)
        data = _metadata().encode("utf-8")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return name

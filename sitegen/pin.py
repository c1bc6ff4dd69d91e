"""Pinning: which sitegen a hub's GitHub Pages workflow installs.

Not a stage of the build. A hub's ``requirements.txt`` names the sitegen its workflow
installs on GitHub's runners, which reach the Python package index and public git
hosts but nothing of the creator's machine. The pin is therefore, by how this sitegen
was installed (what pip recorded in ``direct_url.json``, PEP 610):

* from the package index: that release (``sitegen-hub==0.1.0``);
* from a public https git repository: that repository at that commit;
* anything else (an editable install, a local folder, a local wheel): this very
  sitegen, shipped inside the hub as a wheel under ``.sitegen/wheels/`` and named by
  its path relative to the hub.

The wheel is made here from the installed files with the standard library's zipfile,
byte for byte the same for the same code (fixed time stamps, sorted entries), so that
re-pinning an unchanged sitegen changes nothing the workflow's cache is keyed on.
``sitegen pin`` refreshes the pin after an upgrade; ``sitegen build`` warns when the
running sitegen differs from the hub's pin, and ``sitegen check`` reports a
``requirements.txt`` the workflow could not install from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import __version__
from .urls import split_url
from .errors import Problem, SitegenError
from .write import not_a_folder

if TYPE_CHECKING:
    from importlib import metadata

DISTRIBUTION = "sitegen-hub"
REQUIREMENTS = "requirements.txt"
WORKFLOW = ".github/workflows/pages.yml"
#: Where a hub keeps the wheel of the sitegen it is published with (committed with it).
WHEELS = ".sitegen/wheels"
_WHEEL_NAME = re.compile(r"^sitegen_hub-([^-/]+)-py3-none-any\.whl$")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*(.*)$")
_SPECIFIERS = re.compile(r"^(\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)(,\s*(===|==|!=|<=|>=|~=|<|>)\s*"
                         r"[A-Za-z0-9.*+!_-]+\s*)*$")
#: A fixed time stamp for every member of a wheel made here: the same code, the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

How = Literal["index", "git", "local"]


@dataclass(frozen=True, slots=True)
class Installed:
    """How the running sitegen was installed: ``how``, and from where (URL or folder)."""

    how: How
    source: str = ""
    commit: str = ""
    subdirectory: str = ""


@dataclass(frozen=True, slots=True)
class Pin:
    """The requirement a hub's workflow installs sitegen with, and why it is that one.

    ``wheel`` is the hub-relative path of the wheel shipped inside the hub, if any."""

    line: str
    why: str
    wheel: str | None = None


@dataclass(frozen=True, slots=True)
class HubPin:
    """The line of a hub's ``requirements.txt`` that installs sitegen, as read."""

    line: int  # 1-based
    text: str
    kind: Literal["release", "git", "wheel", "other"]
    version: str = ""  # release and wheel pins
    commit: str = ""  # git pins
    wheel: str = ""  # wheel pins: the path as written


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What ``sitegen pin`` did: the pin before and after, and the wheels it removed."""

    pin: Pin
    before: str | None  # the line it replaced (None: there was none)
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether requirements.txt names another sitegen now."""
        return self.before != self.pin.line


# importlib.metadata and zipfile are imported where used: every build reads the pin,
# and only a pin that names a git commit, or writing a wheel, needs them.

def _our_distribution() -> metadata.Distribution | None:
    """The installed distribution this running sitegen is (an installer's record, with
    its ``INSTALLER`` file), or None when it runs from a source tree pip did not install
    (a ``sitegen_hub.egg-info`` left in a checkout is such a tree, not an install)."""
    from importlib import metadata

    package = Path(__file__).resolve().parent
    for dist in metadata.distributions(name=DISTRIBUTION):
        if dist.read_text("INSTALLER") is None:
            continue
        if Path(str(dist.locate_file("sitegen"))).resolve() == package:
            return dist  # installed files: from an index, a wheel, a folder or git
        info = _json(dist.read_text("direct_url.json") or "")
        url, folder = info.get("url"), info.get("dir_info")
        if isinstance(url, str) and isinstance(folder, dict) and folder.get("editable") is True:
            parts = split_url(url)
            if parts is not None and parts.scheme == "file" and package.is_relative_to(Path(parts.path).resolve()):
                return dist  # an editable install of the tree this sitegen runs from
    return None


def _json(text: str) -> dict[str, object]:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _direct_url() -> str | None:
    """What pip recorded of where this sitegen was installed from (``direct_url.json``,
    PEP 610); None for an install from an index. A sitegen pip did not install is
    described as the local folder it runs from."""
    import json

    dist = _our_distribution()
    if dist is None:
        return json.dumps({"url": Path(__file__).resolve().parent.parent.as_uri(), "dir_info": {}})
    return dist.read_text("direct_url.json")


def installed() -> Installed:
    """How this sitegen was installed, from pip's record of it."""
    import json

    raw = _direct_url()
    if raw is None:
        return Installed("index")
    try:
        info = json.loads(raw)
    except ValueError:
        return Installed("local")
    if not isinstance(info, dict):
        return Installed("local")
    url, vcs = info.get("url"), info.get("vcs_info")
    source = url if isinstance(url, str) else ""
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git":
        return Installed("local", _shown_source(source))
    parts = split_url(source)
    commit = vcs.get("commit_id")
    # Only a public https URL without credentials is ever written (the file is committed).
    if (parts is None or parts.scheme != "https" or not parts.hostname or parts.username or parts.password
            or parts.query or parts.fragment or not isinstance(commit, str) or not commit.isalnum()):
        return Installed("local", "a git repository GitHub's runners cannot reach")
    subdirectory = info.get("subdirectory")
    if not (isinstance(subdirectory, str) and subdirectory and all(c.isalnum() or c in "-_./" for c in subdirectory)):
        subdirectory = ""
    return Installed("git", source, commit, subdirectory)


def _shown_source(url: str) -> str:
    """A local install's source as a person reads it: a folder or file, not a file: URL."""
    parts = split_url(url)
    return parts.path if parts is not None and parts.scheme == "file" else (url or "an unknown place")


def decide(how: Installed | None = None) -> Pin:
    """The pin for a hub made (or refreshed) by this sitegen; nothing is written."""
    how = how or installed()
    if how.how == "index":
        return Pin(f"{DISTRIBUTION}=={__version__}", "this sitegen came from the package index")
    if how.how == "git":
        line = f"{DISTRIBUTION} @ git+{how.source}@{how.commit}"
        if how.subdirectory:
            line += f"#subdirectory={how.subdirectory}"
        return Pin(line, f"this sitegen was installed from {how.source} at commit {how.commit[:12]}")
    wheel = f"{WHEELS}/{wheel_name()}"
    return Pin(f"./{wheel}", f"this sitegen was installed from {how.source or 'a local folder'}, which GitHub's "
               "runners cannot reach: its wheel is shipped inside the hub", wheel)


def wheel_name() -> str:
    """The file name of this sitegen's wheel."""
    return f"sitegen_hub-{_version()}-py3-none-any.whl"


def _version() -> str:
    dist = _our_distribution()
    return dist.version if dist is not None else __version__


# -- The wheel ---------------------------------------------------------------------

def _package_files() -> list[tuple[str, Path]]:
    """Every file of the installed sitegen: (path inside the wheel, file), sorted.

    ``sitegen.builtin_themes`` may live elsewhere (an editable install or a checkout
    keeps it in ``themes/``): it is taken from where the build takes it."""
    from .themes import builtin_themes_dir

    package = Path(__file__).resolve().parent
    themes = builtin_themes_dir().resolve()
    found: dict[str, Path] = {}
    for top, prefix in ((package, "sitegen"), (themes, "sitegen/builtin_themes")):
        if not top.is_dir():
            continue
        for path in top.rglob("*"):
            rel = path.relative_to(top)
            if (not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo")
                    or (prefix == "sitegen" and rel.parts[0] == "builtin_themes"
                        and themes != package / "builtin_themes")):
                continue
            found[f"{prefix}/{rel.as_posix()}"] = path
    return sorted(found.items())


def _dist_info() -> tuple[str, str]:
    """This sitegen's METADATA (without its long description) and entry points."""
    dist = _our_distribution()
    if dist is None:
        return _source_tree_info()
    text = dist.read_text("METADATA") or ""
    headers = text.split("\n\n", 1)[0]
    headers = "\n".join(line for line in headers.splitlines() if not line.startswith("Description-Content-Type:"))
    entry_points = dist.read_text("entry_points.txt") or "[console_scripts]\nsitegen = sitegen.cli:program\n"
    return headers + "\n", entry_points


def _source_tree_info() -> tuple[str, str]:
    """METADATA and entry points of a sitegen run from its source tree (not installed),
    from the ``pyproject.toml`` beside the package."""
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        assert project["name"] == DISTRIBUTION
    except (OSError, ValueError, KeyError, AssertionError):
        raise SitegenError("this sitegen was not installed with pip, so it cannot be shipped inside the hub",
                           hint="install it into a virtual environment (python -m pip install ...) and run "
                           "'sitegen pin' again") from None
    lines = ["Metadata-Version: 2.1", f"Name: {DISTRIBUTION}", f"Version: {_version()}"]
    if isinstance(project.get("requires-python"), str):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {dependency}" for dependency in project.get("dependencies", ())]
    scripts = project.get("scripts") or {"sitegen": "sitegen.cli:program"}
    entry_points = "[console_scripts]\n" + "".join(f"{name} = {target}\n" for name, target in scripts.items())
    return "\n".join(lines) + "\n", entry_points


def check_wheels_folder(root: Path) -> None:
    """Refuse a wheels folder that is a link (or lies under one): sitegen writes and removes
    its wheels there, and never through a link that may lead out of the hub."""
    found = not_a_folder(root, root / WHEELS)
    if found is not None:
        shown = found[0].relative_to(root).as_posix()
        raise SitegenError(f"{shown} is a link or a file, and sitegen writes and removes its wheels only in a "
                           "folder of the hub's own", path=shown,
                           hint="remove it (sitegen makes the folder), then run the command again")


def write_wheel(target: Path) -> Path:
    """Write this sitegen's wheel to ``target`` (a ``.whl`` path), atomically; returns it."""
    import zipfile
    metadata_text, entry_points = _dist_info()
    info = f"sitegen_hub-{_version()}.dist-info"
    members: list[tuple[str, bytes]] = [(name, path.read_bytes()) for name, path in _package_files()]
    members += [(f"{info}/METADATA", metadata_text.encode()),
                (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: sitegen pin\nRoot-Is-Purelib: true\n"
                                  b"Tag: py3-none-any\n"),
                (f"{info}/entry_points.txt", entry_points.encode()),
                (f"{info}/top_level.txt", b"sitegen\n")]
    record = "".join(f"{name},sha256={_digest(data)},{len(data)}\n" for name, data in members) + f"{info}/RECORD,,\n"
    members.append((f"{info}/RECORD", record.encode()))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            member = zipfile.ZipInfo(name, _ZIP_TIME)
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, data)
    temporary.replace(target)
    return target


def _digest(data: bytes) -> str:
    import base64
    import hashlib
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


# -- A hub's requirements.txt ------------------------------------------------------

def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_path_or_url(text: str) -> bool:
    return (text.startswith((".", "/", "~")) or "://" in text or text.startswith(("git+", "file:"))
            or text.endswith((".whl", ".tar.gz", ".zip")))


def read_requirements(root: Path) -> tuple[HubPin | None, list[Problem]]:
    """The line of ``root/requirements.txt`` that installs sitegen (None if none does),
    and the lines pip could not read. Raises nothing; a missing file gives (None, [])."""
    path = root / REQUIREMENTS
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, []
    pin: HubPin | None = None
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].strip()
        if not line or line.startswith("-"):
            continue
        found = _read_line(number, line)
        if found is None:
            problems.append(Problem(f"pip cannot read this line: {line!r}", path=REQUIREMENTS, line=number,
                                    hint="write one requirement per line, e.g. sitegen-hub==0.1.0, or run "
                                    "'sitegen pin' to write the line that installs this sitegen"))
        elif found.kind != "other" and pin is None:
            pin = found
    return pin, problems


def _read_line(number: int, line: str) -> HubPin | None:
    """What one requirement line names (kind "other": not sitegen); None if malformed."""
    if _is_path_or_url(line) and " @ " not in line:
        match = _WHEEL_NAME.match(line.rstrip("/").rsplit("/", 1)[-1])
        if match:
            return HubPin(number, line, "wheel", version=match.group(1), wheel=line)
        return HubPin(number, line, "other")
    m = _NAME.match(line)
    if m is None:
        return None
    name, rest = m.group(1), m.group(3).split(";", 1)[0].strip()
    is_sitegen = _normal(name) == DISTRIBUTION
    if rest.startswith("@"):
        url = rest[1:].strip()
        if not url or " " in url:
            return None
        if is_sitegen and url.startswith("git+"):
            after_host = url.split("#", 1)[0].split("://", 1)[-1]
            commit = after_host.rsplit("@", 1)[-1] if "@" in after_host.split("/", 1)[-1] else ""
            return HubPin(number, line, "git", commit=commit)
        match = _WHEEL_NAME.match(url.rstrip("/").rsplit("/", 1)[-1])
        if is_sitegen and match:
            return HubPin(number, line, "wheel", version=match.group(1), wheel=url)
        return HubPin(number, line, "release" if is_sitegen else "other")
    if rest and not _SPECIFIERS.match(rest):
        return None
    if is_sitegen:
        pinned = re.fullmatch(r"\s*===?\s*([A-Za-z0-9.+!_-]+)\s*", rest)
        return HubPin(number, line, "release", version=pinned.group(1)) if pinned else HubPin(number, line, "release")
    return HubPin(number, line, "other")


def wheel_problem(root: Path, pin: HubPin, severity: Literal["error", "warning"]) -> Problem | None:
    """A wheel pin whose file is missing or lies outside the hub (the runner cannot
    install it), or None."""
    if pin.kind != "wheel":
        return None
    written = pin.wheel.removeprefix("file:")
    path = (root / written).resolve()
    if written.startswith(("/", "~")) or "://" in written or not path.is_relative_to(root.resolve()):
        return Problem(f"{pin.wheel} is outside the hub: GitHub's runners cannot install it", path=REQUIREMENTS,
                       line=pin.line, severity=severity,
                       hint=f"run 'sitegen pin' to ship this sitegen's wheel in {WHEELS}/ and name it there")
    if not path.is_file():
        return Problem(f"names the wheel {pin.wheel}, which is missing: the Pages workflow cannot install sitegen",
                       path=REQUIREMENTS, line=pin.line, severity=severity,
                       hint=f"run 'sitegen pin' to write this sitegen's wheel again, and commit {WHEELS}/")
    return None


def pin_warnings(root: Path) -> list[Problem]:
    """What ``sitegen build`` says about the hub's pin: a pinned wheel that is missing,
    or a pinned sitegen other than the running one (one warning, naming ``sitegen pin``)."""
    pin, _ = read_requirements(root)
    if pin is None:
        return []
    missing = wheel_problem(root, pin, "warning")
    if missing is not None:
        return [missing]
    other = _differs(pin)
    if other is None:
        return []
    return [Problem(f"the Pages workflow publishes with {other}, but this is sitegen {__version__}",
                    path=REQUIREMENTS, line=pin.line, severity="warning",
                    hint="run 'sitegen pin' to publish with this sitegen (it changes only that line and the "
                    "wheel it ships), then commit requirements.txt and .sitegen/")]


def _differs(pin: HubPin) -> str | None:
    """What the pin installs, when that is not the running sitegen; else None.

    Releases and wheels are compared by version, git pins by commit."""
    if pin.kind in ("release", "wheel"):
        if pin.version and pin.version != __version__:
            return f"sitegen {pin.version}"
        return None
    if pin.kind == "git":
        how = installed()
        if how.how != "git" or not pin.commit or not how.commit.startswith(pin.commit):
            return f"sitegen from git commit {pin.commit[:12] or '(none named)'}"
    return None


def check_requirements(root: Path) -> list[Problem]:
    """What ``sitegen check`` says about ``requirements.txt``: lines pip cannot read, no
    line installing sitegen, a pinned wheel that is missing or outside the hub, a release
    this sitegen cannot vouch for, a pin other than the running sitegen. Only for a hub
    with the Pages workflow ``sitegen init`` writes (the one that reads the file)."""
    path = root / REQUIREMENTS
    if not (root / WORKFLOW).is_file():
        return []
    if not path.is_file():
        return [Problem("is missing: the Pages workflow installs sitegen from it", path=REQUIREMENTS,
                        hint="run 'sitegen pin' to write it")]
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [Problem("is not UTF-8 text", path=REQUIREMENTS, hint="save it as UTF-8, or run 'sitegen pin'")]
    pin, problems = read_requirements(root)
    if pin is None:
        problems.append(Problem(f"no line installs {DISTRIBUTION}: the Pages workflow would have no sitegen to "
                                "build with", path=REQUIREMENTS, hint="run 'sitegen pin' to add it"))
        return problems
    wheel = wheel_problem(root, pin, "error")
    if wheel is not None:
        return problems + [wheel]
    if pin.kind == "release" and pin.version == __version__ and installed().how != "index":
        problems.append(Problem(
            f"pins {DISTRIBUTION}=={pin.version}, but this sitegen was not installed from the package index, "
            "so that release may not exist there (the workflow's install would fail with 'No matching "
            "distribution')", path=REQUIREMENTS, line=pin.line, severity="warning",
            hint="run 'sitegen pin' to ship this sitegen's wheel inside the hub instead"))
        return problems
    problems += pin_warnings(root)
    return problems


def refresh(root: Path) -> Refreshed:
    """``sitegen pin``: make ``requirements.txt`` name the running sitegen. Only its line
    naming sitegen changes (added if missing; the file is made if missing), and only the
    wheels under ``.sitegen/wheels/`` named like sitegen's are written or removed."""
    if not (root / "sitegen.yaml").is_file():
        raise SitegenError(f"there is no sitegen.yaml in {root}", hint="run it in the hub's folder, or name it: "
                           "sitegen pin path/to/hub")
    pin = decide()
    path = root / REQUIREMENTS
    if path.is_symlink():  # (a change to the hub can add one: it could lead to any file of yours)
        raise SitegenError(f"it is a symbolic link (to {os.readlink(path)}), and sitegen pin writes only a file "
                           "of the hub's own", path=REQUIREMENTS,
                           hint="put a copy of the file it points to in its place, or remove it (sitegen makes "
                                "one), then run the command again")
    try:
        text = path.read_bytes().decode("utf-8") if path.exists() else None  # its line endings kept
    except (OSError, UnicodeDecodeError) as exc:
        raise SitegenError(f"cannot read it ({exc})", path=REQUIREMENTS, hint="save it as UTF-8 text") from None
    current, _ = read_requirements(root) if text is not None else (None, [])
    check_wheels_folder(root)
    if pin.wheel is not None:
        write_wheel(root / pin.wheel)
    removed = []
    folder = root / WHEELS
    if folder.is_dir():
        for shipped in sorted(folder.iterdir()):
            if _WHEEL_NAME.match(shipped.name) and shipped.is_file() and f"{WHEELS}/{shipped.name}" != pin.wheel:
                shipped.unlink()
                removed.append(f"{WHEELS}/{shipped.name}")
    if text is None:
        path.write_text("# What the GitHub Pages workflow installs to build this hub (see 'sitegen pin').\n"
                        f"{pin.line}\n", encoding="utf-8", newline="\n")
        return Refreshed(pin, None, tuple(removed))
    lines = text.splitlines(keepends=True)
    if current is None:
        ending = "" if not text or text.endswith(("\n", "\r")) else "\n"
        path.write_text(text + ending + pin.line + "\n", encoding="utf-8", newline="")
        return Refreshed(pin, None, tuple(removed))
    line = lines[current.line - 1]
    body = line.rstrip("\r\n")
    comment = re.search(r"\s+#.*$", body)  # a comment after the requirement stays
    replaced = pin.line + (comment.group() if comment else "") + line[len(body):]
    if replaced != line:
        lines[current.line - 1] = replaced
        path.write_text("".join(lines), encoding="utf-8", newline="")
    return Refreshed(pin, current.text, tuple(removed))

"""The environment files: constraints.txt pins a version inside every range of
requirements.txt, so the tested environment is one the requirements allow."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def pins() -> dict[str, str]:
    found = {}
    for line in _lines(ROOT / "constraints.txt"):
        name, separator, version = line.partition("==")
        assert separator and version, f"constraints.txt: {line!r} is not name==version"
        found[canonicalize_name(name)] = version
    return found


def test_every_requirement_is_pinned_inside_its_range():
    pinned = pins()
    requirements = [
        Requirement(line) for line in _lines(ROOT / "requirements.txt") if not line.startswith("-")
    ]
    assert len(requirements) > 20
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} has no pin in constraints.txt (run `make lock`)"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pinned[name]}, outside {requirement.specifier}"
        )


def test_binder_and_lab_install_the_same_versions():
    assert "-c ../constraints.txt" in _lines(ROOT / ".binder" / "requirements.txt")

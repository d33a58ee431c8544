"""What `pip install .` ships: every package folder of the source is listed in pyproject.toml, so an
installed lab never misses a module that the editable install finds on disk."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_installed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "tui_lab").rglob("__init__.py")
               if "__pycache__" not in init.parts}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "tui_lab.scenarios" in listed and config["package-dir"]["tui_lab.scenarios"] == "scenarios"

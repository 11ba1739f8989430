"""Imports every package's models so the metadata is complete (migrations, checks, tests)."""

from __future__ import annotations

import importlib
import pkgutil

PACKAGES = ("core", "tenants", "erp", "marketplace")


def import_all_models() -> None:
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if module.name.endswith(".models"):
                importlib.import_module(module.name)

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from .flavor import Flavor


@pytest.fixture(params=["asyncio", "sync"])
def flavor(request: pytest.FixtureRequest) -> Flavor:
    name = f"flavor_{request.param}"
    if not (Path(__file__).parent / f"{name}.py").exists():
        pytest.skip(f"the {request.param} flavour isn't written yet")
    module = importlib.import_module(f"tests.behaviour.{name}")
    flavor: Flavor = module.FLAVOR
    return flavor

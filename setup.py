"""The build step pyproject.toml cannot express: compiling the translation catalogues.

The .po files are in the repository and the .mo files are not (.gitignore); building the package
makes them, so that `pip install .` and `pip install -e .` both give a working French without an
extra step. The compiler is alliance/catalogue.py, loaded on its own (the package's dependencies
are not installed yet while it builds); it needs polib, a build requirement in pyproject.toml.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _catalogue_module():
    path = ROOT / "alliance" / "catalogue.py"
    spec = importlib.util.spec_from_file_location("_alliance_catalogue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithCatalogues(build_py):
    def run(self):
        super().run()
        catalogue = _catalogue_module()
        if self.editable_mode:
            # An editable install imports alliance from this folder: the .mo goes beside its .po.
            catalogue.compile_all(ROOT / "alliance" / "locale")
            return
        built = Path(self.build_lib) / "alliance" / "locale"
        for po in catalogue.catalogues(built):
            catalogue.compile_catalogue(po)


setup(cmdclass={"build_py": BuildPyWithCatalogues})

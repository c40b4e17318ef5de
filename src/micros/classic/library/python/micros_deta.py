"""Makes `from deta import app, App` work with whatever deta the micro installs: the SDK up to 1.2
imports App from detalib (found beside this file); a deta without it gets App and app added."""
import importlib.abc
import importlib.util
import sys


class _Loader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        if not hasattr(module, "App"):
            from detalib.app import App, app
            module.App = App
            module.app = app


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "deta":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec("deta")
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader)
        return spec


def install():
    sys.meta_path.insert(0, _Finder())

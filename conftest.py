"""Root conftest: loads the platebench pytest plugin when the package is importable but not installed
(e.g. ``PYTHONPATH=.``). An installed platebench registers it through its ``pytest11`` entry point under
the same name, so pytest does not load it twice."""

pytest_plugins = ("harness.pytest_plugin",)

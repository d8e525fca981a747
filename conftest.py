"""Root conftest: loads the platebench pytest plugin (the one registration route)."""

pytest_plugins = ("harness.pytest_plugin",)

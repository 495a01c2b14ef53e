"""Root conftest. The stratatest plugin itself loads through its pytest11 entry point (pip install -e .)."""

# pytester drives pytest in a subprocess: used to test the plugin's own behaviour (xdist, errors, interrupts).
pytest_plugins = ["pytester"]

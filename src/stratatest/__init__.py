"""stratatest: infrastructure tests and compliance evidence, layer by layer.

Layers, cheapest first: static → plan → emulator → cluster → sandbox.
"""

__version__ = "0.1.0"

"""orbitbench: co-design and verification bench for radiation-exposed AI accelerators."""

__version__ = "0.1.0"

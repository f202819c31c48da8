"""The contract layer: configurations, register map, formats, knobs, paths, errors.

Pure Python (no NumPy, no Amaranth); imports nothing else of the project.
"""

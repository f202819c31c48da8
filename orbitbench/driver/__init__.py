"""The driver layer: how software drives the tile (the one tile program, the network compiler)."""

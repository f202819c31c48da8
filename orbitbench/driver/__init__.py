"""Host-side drivers: lowering programs onto the tile, independent of the RTL."""

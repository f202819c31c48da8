"""cocotb and pyuvm testbenches for the orbitbench RTL."""

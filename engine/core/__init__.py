"""The core: errors, components and the World, the stage contract, the config converter, I/O helpers."""

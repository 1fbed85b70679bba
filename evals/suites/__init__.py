"""Packaged evaluation suites (TOML files); a package only so that setuptools ships them."""

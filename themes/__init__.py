"""Themes shipped with sitegen (installed as the ``sitegen.builtin_themes`` package)."""

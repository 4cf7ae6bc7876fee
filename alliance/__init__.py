"""Alliance: keeps the therapeutic alliance visible and the rupture-repair loop closed."""

__version__ = "0.1.0"

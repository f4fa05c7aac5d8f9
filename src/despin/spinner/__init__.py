"""A seeded simulator of content-farm article spinners that writes exact gold labels."""

from despin.spinner.spinner import FOOTER_TEMPLATES, OUTLETS, Spinner, spin, spin_batch, unspin

__all__ = ["FOOTER_TEMPLATES", "OUTLETS", "Spinner", "spin", "spin_batch", "unspin"]

"""A seeded simulator of content-farm article spinners that writes exact gold labels."""

from despin.spinner.spinner import FOOTER_TEMPLATES, OUTLETS, Spinner, spin, spin_batch, unspin
from despin.spinner.zoo import SpinnerFamily, ZooSources, build_zoo

__all__ = [
    "FOOTER_TEMPLATES",
    "OUTLETS",
    "SpinnerFamily",
    "Spinner",
    "ZooSources",
    "build_zoo",
    "spin",
    "spin_batch",
    "unspin",
]

"""Model bundles: building them from the shared corpora and loading them."""

"""Model bundles at run time: load, verify and compose the files ``despin build-model`` writes."""

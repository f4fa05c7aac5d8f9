"""Commands registered by this module are added by its owner."""

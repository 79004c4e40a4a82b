"""Recovery zoo: data-generating processes written from published descriptions, independent of
mmmkit (``dgps.py`` imports numpy, pandas and scipy only), and a runner that fits mmmkit to each
and scores its answers against the exact truth (``run_zoo.py``). See ``README.md``."""

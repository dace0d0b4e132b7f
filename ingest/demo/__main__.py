"""``python -m ingest.demo``: write the shipped demo files."""

from ingest.demo.writer import main

main()

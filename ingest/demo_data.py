"""Compatible entry point of the demo data generator, now the package :mod:`ingest.demo`
(``python -m ingest.demo_data`` still writes the shipped files)."""

from ingest.demo import BASE, DAYS, PLANTED, SHIPPED, Planted, generate, main

__all__ = ["BASE", "DAYS", "PLANTED", "SHIPPED", "Planted", "generate", "main"]

if __name__ == "__main__":
    main()

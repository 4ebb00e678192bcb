"""``python -m hashwatch``."""

from hashwatch.cli import main

main()

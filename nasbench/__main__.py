"""``python -m nasbench`` runs the command line."""

from nasbench.cli import entry_point

entry_point()

"""Importers that read public NAS benchmark files, in their original formats, into tables."""

IMPORTERS = {"nb201": "tabular_data.importers.nb201:import_nb201",
             "help-latency": "tabular_data.importers.help_latency:import_help_latency"}

__all__ = ["IMPORTERS"]

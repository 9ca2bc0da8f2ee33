"""Importers that read public NAS benchmark files, in their original formats, into tables."""

IMPORTERS = {"nb201": "tabular_data.importers.nb201:import_nb201",
             "help-latency": "tabular_data.importers.help_latency:import_help_latency",
             "transnas-micro": "tabular_data.importers.transnas_micro:import_transnas_micro",
             "nas-bench-macro": "tabular_data.importers.nas_bench_macro:import_nas_bench_macro",
             "yahpo-nb301": "tabular_data.importers.yahpo_nb301:import_yahpo_nb301"}

__all__ = ["IMPORTERS"]

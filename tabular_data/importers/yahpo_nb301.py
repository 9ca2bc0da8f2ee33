"""Import YAHPO Gym's NB301 surrogate (v2) into the data store as ``darts/cifar10@yahpo``.

Source: the ``nb301/`` folder of slds-lmu/yahpo_data (Apache-2.0): ``model_v2.onnx`` (the surrogate,
a feed-forward network over the 34 categorical DARTS parameters plus ``epoch``), ``encoding_v2.json``
(integer code of every parameter value), ``config_space_v2.json`` (NAS-Bench-301's ConfigSpace with
``epoch`` 1..98), and, copied along when present, ``best_params_v2.json`` (the surrogate's fitting
hyper-parameters), ``README.txt`` and ``LICENSE-2.0.txt``.

The files are copied unchanged into ``$NASBENCH_DATA/darts/cifar10@yahpo/`` next to a
``manifest.json`` that records each file's size and sha256 (checked again whenever the benchmark is
loaded). Before anything is written the files are checked: the model must decode, use only
operators the numpy evaluator implements, and have YAHPO's nb301 signature (``x_cat`` int32
(batch, 34), ``x_cont`` float32 (batch, 1) -> ``output`` float32 (batch, 4)); every parameter
value must have a code, with as many codes as the model's embedding tables have rows; the config
space must be the DARTS space this project translates to (7 ops per edge, the input pairs of each
node, ``epoch`` 1..98).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nasbench.errors import DataIntegrityError, MissingDataError
from tabular_data.importers._files import describe_source, find_files

__all__ = ["import_yahpo_nb301", "check_yahpo_files", "FILES", "REQUIRED", "MANIFEST", "FORMAT", "EPOCHS",
           "read_json"]

FILES = {"model": "model_v2.onnx", "encoding": "encoding_v2.json", "config_space": "config_space_v2.json",
         "best_params": "best_params_v2.json", "readme": "README.txt", "license": "LICENSE-2.0.txt"}
REQUIRED = ("model", "encoding", "config_space")
MANIFEST = "manifest.json"
FORMAT = "nasbench-yahpo-surrogate"
EPOCHS = (1, 98)
NAME = "darts/cifar10@yahpo"
PROVENANCE = ("slds-lmu/yahpo_data nb301/ (YAHPO Gym's NB301 surrogate, v2; Apache-2.0), commit "
              "0e288068134f4af8d231c63d2a941e5ab8060ef0")
_MAX_MODEL_BYTES = 64 << 20  # the v2 model is 2.8 MB
_MAX_JSON_BYTES = 1 << 20    # the JSON files are below 20 kB
_IMPORT = "nasbench data import yahpo-nb301 --from DIR"


def read_json(path, what: str):
    """Parse a small JSON file, refusing oversized or malformed ones with a one-line error."""
    path = Path(path)
    size = path.stat().st_size
    if size > _MAX_JSON_BYTES:
        raise DataIntegrityError(f"{path} is {size} bytes; YAHPO's {what} is below {_MAX_JSON_BYTES} bytes. "
                                 "Re-download YAHPO's nb301 files.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}); re-download YAHPO's {what}.") from None


def _check_signature(graph, path) -> None:
    import numpy as np

    ins = {v.name: v for v in graph.model.inputs}
    outs = graph.model.outputs
    want = {"x_cat": (np.dtype("int32"), 34), "x_cont": (np.dtype("float32"), 1)}
    for name, (dtype, width) in want.items():
        v = ins.get(name)
        if v is None or v.dtype != dtype or len(v.shape) != 2 or v.shape[1] != width:
            raise DataIntegrityError(f"{path}: expected input {name} of {dtype} (batch, {width}) as in YAHPO's nb301 "
                                     f"model; got {v}. Pass YAHPO's nb301 model_v2.onnx.")
    if len(outs) != 1 or outs[0].dtype != np.dtype("float32") or len(outs[0].shape) != 2 or outs[0].shape[1] != 4:
        raise DataIntegrityError(f"{path}: expected one float32 output of shape (batch, 4) (val_accuracy, "
                                 f"val_cross_entropy, runtime, runtime_increase); got {outs}.")


def _check_config_space(doc, path) -> None:
    from nasbench.encodings.darts_yahpo import CAT_NAMES, N_EDGES
    from nasbench.spaces.darts import OPS

    params = {h.get("name"): h for h in doc.get("hyperparameters", [])} if isinstance(doc, dict) else {}
    for col, name in enumerate(CAT_NAMES):
        h = params.get(name, {})
        if col < 2 * N_EDGES:
            want = list(OPS)
        else:
            node = int(name.rsplit("_", 1)[1])
            want = [f"{a}_{b}" for a in range(node) for b in range(a + 1, node)]
        if h.get("type") != "categorical" or list(h.get("choices", [])) != want:
            raise DataIntegrityError(f"{path}: {name} must be categorical over {want}; got {str(h)[:120]}. Pass "
                                     "YAHPO's nb301 config_space_v2.json.")
    epoch = params.get("epoch", {})
    if epoch.get("type") != "uniform_int" or (epoch.get("lower"), epoch.get("upper")) != EPOCHS:
        raise DataIntegrityError(f"{path}: expected epoch as an int in [{EPOCHS[0]}, {EPOCHS[1]}]; got {epoch}.")
    if len(params) != len(CAT_NAMES) + 1:
        raise DataIntegrityError(f"{path}: expected {len(CAT_NAMES) + 1} parameters; got {len(params)}.")


def check_yahpo_files(paths: dict):
    """Check YAHPO's nb301 files; return ``(graph, codes, config_space)`` built from them.

    Parameters
    ----------
    paths : dict
        ``{"model", "encoding", "config_space"}`` -> path.

    Returns
    -------
    graph : surrogates.onnx_graph.OnnxGraph
    codes : nasbench.encodings.darts_yahpo.YahpoCodes
    config_space : dict
    """
    from nasbench.encodings.darts_yahpo import CAT_NAMES, YahpoCodes
    from surrogates.onnx_graph import OnnxGraph, read_model

    model_path = Path(paths["model"])
    size = model_path.stat().st_size
    if size > _MAX_MODEL_BYTES:
        raise DataIntegrityError(f"{model_path} is {size} bytes; YAHPO's nb301 model is about 2.8 MB (limit "
                                 f"{_MAX_MODEL_BYTES}). Re-download it.")
    graph = OnnxGraph(read_model(model_path.read_bytes()))
    _check_signature(graph, model_path)
    codes = YahpoCodes(read_json(paths["encoding"], "encoding_v2.json"))
    config_space = read_json(paths["config_space"], "config_space_v2.json")
    _check_config_space(config_space, paths["config_space"])
    for col, name in enumerate(CAT_NAMES):  # each column's codes index the model's embedding table
        table = graph.model.initializers.get(f"embds_fct.{col}.weight")
        if table is None or table.shape[0] != codes.cardinalities[col]:
            raise DataIntegrityError(f"{model_path}: the embedding of column {col} ({name}) has "
                                     f"{None if table is None else table.shape[0]} rows, but encoding_v2.json gives "
                                     f"{codes.cardinalities[col]} codes; the files are not one YAHPO release.")
    return graph, codes, config_space


def import_yahpo_nb301(source_dir, data_root, *, log=print) -> list[Path]:
    """Copy YAHPO's nb301 files found under ``source_dir`` into ``data_root``/darts/cifar10@yahpo.

    The folder holding ``model_v2.onnx`` (searched 3 levels deep) supplies every file, so a generic name
    such as ``README.txt`` is never taken from another benchmark's folder.
    """
    from nasbench._version import __version__
    from tabular_data.atomic import write_folder
    from tabular_data.store import sha256_file

    source_dir = Path(source_dir).expanduser()
    if not source_dir.is_dir():
        raise MissingDataError(f"--from must be a folder holding {FILES['model']}; {source_dir} is not a folder.")
    found = find_files(source_dir, {FILES["model"]})
    if FILES["model"] not in found:
        raise MissingDataError(f"{FILES['model']} not found under {source_dir} (searched 3 levels deep); pass --from "
                               "the folder holding YAHPO's nb301 files (for example ../shared/data).")
    folder = found[FILES["model"]].parent
    paths = {key: folder / name for key, name in FILES.items() if (folder / name).is_file()}
    missing = [FILES[k] for k in REQUIRED if k not in paths]
    if missing:
        raise MissingDataError(f"{folder} lacks {', '.join(missing)}; YAHPO's nb301 folder holds {FILES['model']}, "
                               f"{FILES['encoding']} and {FILES['config_space']} together.")
    log(f"checking {folder}")
    check_yahpo_files(paths)
    sources = {key: describe_source(p, source_dir, PROVENANCE) for key, p in paths.items()}

    def fill(tmp: Path) -> None:
        for key, path in paths.items():
            shutil.copyfile(path, tmp / FILES[key])
            if sha256_file(tmp / FILES[key]) != sources[key]["sha256"]:
                raise DataIntegrityError(f"{path} changed while it was copied; run `{_IMPORT}` again.")
        manifest = {"format": FORMAT, "format_version": 1, "name": NAME, "space": "darts", "dataset": "cifar10",
                    "files": {key: {"file": FILES[key], "bytes": sources[key]["bytes"],
                                    "sha256": sources[key]["sha256"]} for key in paths},
                    "sources": sources, "epochs": list(EPOCHS),
                    "created_by": _IMPORT, "nasbench_version": __version__}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))

    directory = write_folder(Path(data_root) / "darts" / "cifar10@yahpo", fill, what=f"the surrogate {NAME}")
    log(f"wrote {NAME} to {directory} ({', '.join(FILES[k] for k in paths)})")
    return [directory]

"""Reader of NASLib's zero-cost benchmark files for sampled NB101 and NB301 (DARTS) archs.

These files hold a few hundred sampled archs each, not a whole space, so they are not tables: they
are training sets for surrogate benchmarks (``nasbench surrogate fit nb101/cifar10 --from DIR``).
What the values are (see ``../shared/data/README.md``):

* ``zc_nasbench101.json`` (500 archs): ``val_accuracy`` is NB101's validation accuracy after 108
  epochs, one of NB101's 3 training runs per cell (archs with equal NB101 hash show up to 3
  distinct values); keys are NASLib's 56-tuples of *unpruned* random specs.
* ``zc_nasbench301.json`` (725 archs): ``val_accuracy`` comes through the NB301 API and is probably
  itself an NB301 surrogate prediction, not a training run.

Returns raw keys and arrays; ``nasbench.spaces.nb101.NB101Arch.from_naslib`` and
``nasbench.spaces.darts.DARTSArch.from_naslib`` turn keys into archs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError, choices_text
from tabular_data.importers._files import describe_source, find_files

__all__ = ["NaslibSamples", "read_naslib_samples", "SAMPLE_FILES"]

SAMPLE_FILES = {
    ("nb101", "cifar10"): ("zc_nasbench101.json", ("nasbench101", "cifar10")),
    ("darts", "cifar10"): ("zc_nasbench301.json", ("cifar10",)),
}
# NASLib field -> (our metric name, unit)
FIELDS = {"val_accuracy": ("valid_acc", "%"), "params": ("params_m", "M"), "flops": ("flops_m", "MFLOPs")}


@dataclass
class NaslibSamples:
    """Sampled archs with their values.

    Attributes
    ----------
    space, dataset : str
    keys : list
        NASLib's arch keys (as in the file, str), in file order.
    values : dict metric -> float64 ndarray of shape (n_archs,)
        ``valid_acc`` (%), ``params_m``, ``flops_m`` and the zero-cost proxies under NASLib's names.
    units : dict metric -> str
    source : dict
        File path, bytes, sha256, provenance.
    """

    space: str
    dataset: str
    keys: list
    values: dict
    units: dict
    source: dict


def _score(v):
    return float(v["score"]) if isinstance(v, dict) else float(v)


def read_naslib_samples(source_dir, space: str, dataset: str = "cifar10") -> NaslibSamples:
    """Read NASLib's zero-cost file for ``space``/``dataset`` found under ``source_dir`` (3 levels deep)."""
    if (space, dataset) not in SAMPLE_FILES:
        raise UnknownNameError(
            f"no NASLib sample file for {space}/{dataset}; expected one of "
            f"{choices_text(f'{s}/{d}' for s, d in SAMPLE_FILES)}."
        )
    name, path_in_json = SAMPLE_FILES[(space, dataset)]
    found = find_files(Path(source_dir), {name})
    if name not in found:
        raise MissingDataError(
            f"{name} not found under {source_dir} (searched 3 levels deep); pass --from the folder holding "
            f"NASLib's zero-cost benchmark files (for example ../shared/data)."
        )
    path = found[name]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for part in path_in_json:
            doc = doc[part]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataIntegrityError(
            f"{path} is not NASLib's zero-cost format (missing {exc}); re-download it from NASLib's naslib/data."
        ) from None
    keys = list(doc)
    if not keys:
        raise DataIntegrityError(f"{path} holds no archs; expected NASLib's sampled archs, re-download the file.")
    fields = sorted({f for v in doc.values() for f in v if f not in ("idx", "arch")})
    values, units = {}, {}
    for field in fields:
        metric, unit = FIELDS.get(field, (field, "score"))
        try:
            values[metric] = np.array([_score(doc[k][field]) if field in doc[k] else np.nan for k in keys])
        except (TypeError, ValueError, KeyError):
            raise DataIntegrityError(
                f"{path}: field {field!r} is not numeric for every arch; re-download NASLib's zero-cost file."
            ) from None
        units[metric] = unit
    source = describe_source(path, Path(source_dir), "automl/NASLib naslib/data (NAS-Bench-Suite-Zero subset)")
    return NaslibSamples(space, dataset, keys, values, units, source)

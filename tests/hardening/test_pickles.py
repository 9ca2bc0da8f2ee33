"""Class 1 of issue 13: no code runs from a folder handed to any importer or reader.

A pickle whose ``__reduce__`` would create a marker file is put where every reader looks (the NB201
``.pd`` frames, HELP's ``.pt`` archives, CIFAR-10 batches, table arrays, latency-model states, chunk
files of ``nasbench generate``, MLP surrogate weights); the marker never appears and each reader
answers with one DataIntegrityError line. A source scan proves that no unrestricted unpickling path
is left (or comes back).
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench.errors import DataIntegrityError
from tests.conftest import require_shared
from tests.hardening.conftest import REPO, run_main


class Payload:
    """Pickles to a call of ``func(*args)``: what an attacker's file would run on load."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker: Path):
    """Calls that would each leave ``marker`` behind if they ran."""
    return [
        (builtins.open, (str(marker), "w")),
        (os.mkdir, (str(marker),)),
        (builtins.exec, (f"open({str(marker)!r}, 'w')",)),
        (builtins.eval, (f"open({str(marker)!r}, 'w')",)),
        (os.system, (f"touch {marker}",)),
    ]


def payload_bytes(marker: Path, which: int = 0, wrap: int = 0, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
    """A pickle of a payload, bare or hidden in a container a reader expects."""
    obj = Payload(*_payloads(marker)[which])
    obj = [[obj], {"data": obj}, {b"data": obj, b"labels": [0]}, [1.0, 2.0, obj]][wrap - 1] if wrap else obj
    return pickle.dumps(obj, protocol=protocol)


def assert_refused(exc_info, marker: Path) -> None:
    assert not marker.exists(), "the payload ran"
    text = str(exc_info.value)
    assert "\n" not in text and ("cannot be read safely" in text or "expected" in text), text


payload_args = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, pickle.HIGHEST_PROTOCOL))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=payload_args, name=st.sampled_from(["arch_score_acc.pd", "mini-bench-arch-cell-accs.pd"]),
       depth=st.integers(0, 2))
def test_nb201_import_never_runs_a_pickled_payload(tmp_path_factory, args, name, depth):
    from tabular_data.importers.nb201 import import_nb201

    tmp = tmp_path_factory.mktemp("nb201")
    marker = tmp / "marker"
    folder = tmp.joinpath("src", *["sub"] * depth)
    folder.mkdir(parents=True)
    (folder / name).write_bytes(payload_bytes(marker, *args))
    with pytest.raises(DataIntegrityError, match="cannot be read safely .*CSV version") as info:
        import_nb201(tmp / "src", tmp / "store", log=lambda line: None)
    assert_refused(info, marker)
    assert not (tmp / "store" / "nb201").exists() or not any((tmp / "store" / "nb201").iterdir())


def test_nb201_cli_import_answers_one_line(tmp_path, capsys):
    marker = tmp_path / "marker"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "arch_score_acc.pd").write_bytes(payload_bytes(marker))
    status, out, err = run_main(["data", "import", "nb201", "--from", str(tmp_path / "src"),
                                 "--to", str(tmp_path / "store")], capsys)
    assert status == 2 and not marker.exists()
    assert err.count("\n") == 1 and "refusing to load io.open" in err and "Traceback" not in err


def test_the_published_frames_still_import_and_match_pandas(shared_data):
    """The allow-list admits the published files, and the restricted reader gives pandas' own rows."""
    import pandas as pd

    from tabular_data.importers.nb201 import _read_frame
    from tabular_data.safe_pickle import PUBLISHED_SHA256
    from tabular_data.store import sha256_file

    for rel in ("nb201_naswot_bayeswatch/arch_score_acc.pd", "nb201_mini_nasbench201/mini-bench-arch-cell-accs.pd"):
        path = shared_data / rel
        rows = _read_frame(path)
        assert sha256_file(path) == PUBLISHED_SHA256[path.name]  # the published file: pandas may read it
        reference = pd.read_pickle(path).to_dict(orient="records")
        assert len(rows) == len(reference) == 15625
        for mine, theirs in zip(rows, reference):
            assert mine.keys() == theirs.keys()
            for key in mine:
                assert mine[key] == theirs[key] or (mine[key] != mine[key] and theirs[key] != theirs[key])


def _pt_archive(blob: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("archive/data.pkl", blob)
    return buf.getvalue()


@settings(max_examples=25, deadline=None)
@given(args=payload_args)
def test_help_pt_reader_never_runs_a_payload(tmp_path_factory, args):
    from tabular_data.importers.help_latency import read_pt_list

    tmp = tmp_path_factory.mktemp("pt")
    marker = tmp / "marker"
    (tmp / "pixel3.pt").write_bytes(_pt_archive(payload_bytes(marker, *args)))
    with pytest.raises(DataIntegrityError, match="expected a plain list/dict of numbers; got a pickle that cannot") as info:
        read_pt_list(tmp / "pixel3.pt")
    assert_refused(info, marker)


def test_help_cli_import_with_a_payload_index_answers_one_line(tmp_path, capsys):
    originals = require_shared("nb201_help_latency/original/pixel3.pt") / "nb201_help_latency" / "original"
    src = tmp_path / "src"
    src.mkdir()
    for path in originals.glob("*.pt"):
        (src / path.name).symlink_to(path)
    (src / "str_arch2idx.pt").unlink()
    marker = tmp_path / "marker"
    (src / "str_arch2idx.pt").write_bytes(_pt_archive(payload_bytes(marker, 1)))
    status, _, err = run_main(["data", "import", "help-latency", "--from", str(src), "--to", str(tmp_path / "s")],
                              capsys)
    assert status == 2 and not marker.exists() and err.count("\n") == 1 and "refusing to load posix.mkdir" in err


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    from tabular_data.importers.help_latency import read_pt_list
    from tabular_data.safe_pickle import MAX_PICKLE_BYTES

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * (MAX_PICKLE_BYTES + 1))
    (tmp_path / "big.pt").write_bytes(buf.getvalue())
    assert (tmp_path / "big.pt").stat().st_size < 1 << 20
    with pytest.raises(DataIntegrityError, match=f"expected a data.pkl of at most {MAX_PICKLE_BYTES} bytes"):
        read_pt_list(tmp_path / "big.pt")


@settings(max_examples=25, deadline=None)
@given(args=payload_args, batch=st.sampled_from(["data_batch_1", "data_batch_3", "test_batch"]))
def test_cifar10_reader_never_runs_a_payload(tmp_path_factory, args, batch):
    from nasbench.training.data import load_cifar10

    tmp = tmp_path_factory.mktemp("cifar")
    marker = tmp / "marker"
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        good = {b"data": rng.integers(0, 256, size=(4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 3]}
        (tmp / name).write_bytes(payload_bytes(marker, *args) if name == batch else pickle.dumps(good))
    with pytest.raises(DataIntegrityError, match="CIFAR-10 python batch .*cannot be read safely") as info:
        load_cifar10(tmp, n_valid=2)
    assert_refused(info, marker)


def _object_npy(marker: Path) -> bytes:
    buf = io.BytesIO()
    array = np.empty(2, dtype=object)
    array[0] = Payload(builtins.open, (str(marker), "w"))
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def test_table_array_with_a_payload_is_refused(tmp_path):
    from tabular_data.store import MetricData, Table, sha256_file, write_manifest, write_table

    write_table(tmp_path / "t", name="a/b", space="nb201", dataset="b", n_archs=2,
                metrics={"m": MetricData(np.zeros((2, 1)), (1,), "%", "x")}, sources={}, info={})
    marker = tmp_path / "marker"
    (tmp_path / "t" / "m.mean.npy").write_bytes(_object_npy(marker))
    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text())
    manifest["metrics"]["m"]["files"]["mean"]["sha256"] = sha256_file(tmp_path / "t" / "m.mean.npy")
    write_manifest(tmp_path / "t", manifest)  # a fully consistent, re-sealed hostile table
    with pytest.raises(DataIntegrityError, match=r"has shape \(2,\) and dtype object, expected \(2, 1\) float64"):
        Table(tmp_path / "t").array("m")
    assert not marker.exists()


def test_latency_model_state_with_a_payload_is_refused(tmp_path):
    from surrogates.latency import AdditiveLatencyModel, save_latency_model
    from surrogates.latency.io import load_latency_model
    from tabular_data.store import sha256_file

    ops = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    save_latency_model(AdditiveLatencyModel(2).fit(ops, np.array([3.0, 2.0, 4.0, 1.0])), tmp_path / "m")
    marker = tmp_path / "marker"
    with zipfile.ZipFile(tmp_path / "m" / "state.npz", "w") as archive:
        archive.writestr("op_costs_.npy", _object_npy(marker))
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    meta["state_sha256"] = sha256_file(tmp_path / "m" / "state.npz")
    (tmp_path / "m" / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(DataIntegrityError, match="expected an .npz of plain float arrays; got one that fails .*pickle"):
        load_latency_model(tmp_path / "m")
    assert not marker.exists()


def test_generate_chunk_with_a_payload_is_refused(tmp_path):
    pytest.importorskip("torch")
    from nasbench.training import generate as gen

    marker = tmp_path / "marker"
    with zipfile.ZipFile(gen.chunk_path(tmp_path, 0), "w") as archive:
        archive.writestr("class_id.npy", _object_npy(marker))
    job = gen.JobConfig(train={"epochs": 1, "C": 2, "N": 1}, split=(10, 10, 10), n_classes=1, chunk_size=1)
    with pytest.raises(DataIntegrityError, match="expected a chunk of plain numeric arrays .*Delete it"):
        gen.load_chunks(tmp_path, job)
    assert not marker.exists()


def test_filled_metric_arrays_with_a_payload_are_refused(tmp_path):
    from nasbench.benchmarks.filled import FilledColumn, load_filled, save_filled
    from tabular_data.store import sha256_file

    filled = FilledColumn(np.arange(4.0), np.array([False, True, True, False]), "test", (200,), {})
    folder = save_filled("nb201/cifar10", "train_time_s", filled, root=tmp_path)
    assert np.array_equal(load_filled("nb201/cifar10", "train_time_s", root=tmp_path).values, np.arange(4.0))
    marker = tmp_path / "marker"
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in ("values.npy", "predicted.npy"):
        good = (folder / name).read_bytes()
        (folder / name).write_bytes(_object_npy(marker))
        (folder / "manifest.json").write_text(json.dumps({**manifest, "files": {
            **manifest["files"], name: sha256_file(folder / name)}}))  # forged consistently
        with pytest.raises(DataIntegrityError, match="expected a plain numpy array .*without pickled objects.* "
                                                     "re-create it with `nasbench surrogate fill"):
            load_filled("nb201/cifar10", "train_time_s", root=tmp_path)
        (folder / name).write_bytes(good)
    assert not marker.exists()
    (folder / "manifest.json").write_text(json.dumps({**manifest, "files": {}}))  # unchecked arrays are refused
    with pytest.raises(DataIntegrityError, match="expected the keys files .*values.npy and predicted.npy"):
        load_filled("nb201/cifar10", "train_time_s", root=tmp_path)
    (folder / "manifest.json").write_text("[")
    with pytest.raises(DataIntegrityError, match="expected a JSON manifest; got unreadable JSON"):
        load_filled("nb201/cifar10", "train_time_s", root=tmp_path)


def test_saved_train_indices_with_a_payload_are_refused(tmp_path):
    pytest.importorskip("xgboost")
    from nasbench.benchmarks.surrogate_fit import load_train_indices
    from surrogates.io import read_metadata, save_model, write_metadata
    from surrogates.xgb import BaggedXGBSurrogate

    x = np.random.default_rng(0).random((40, 3)).astype(np.float32)
    model = BaggedXGBSurrogate({"n_estimators": 2, "max_depth": 2}, n_members=0, seed=0).fit(x, x[:, 0])
    folder = save_model(model, tmp_path / "m", {}, arrays={"train_indices.npy": np.array([3, 1, 2])})
    assert load_train_indices(folder, 10).tolist() == [3, 1, 2]
    with pytest.raises(DataIntegrityError, match=r"expected arch indices in \[0, 3\); got values from 1 to 3"):
        load_train_indices(folder, 3)
    marker = tmp_path / "marker"
    (folder / "train_indices.npy").write_bytes(_object_npy(marker))
    with pytest.raises(DataIntegrityError, match="train_indices.npy does not match its sha256 in metadata.json"):
        load_train_indices(folder, 10)
    meta = read_metadata(folder)
    write_metadata(folder, {**meta, "arrays": {}})  # re-sealed without the digest: the content check remains
    with pytest.raises(DataIntegrityError, match="expected a plain numpy array .*re-fit the surrogate"):
        load_train_indices(folder, 10)
    np.save(folder / "train_indices.npy", np.zeros((2, 2)))
    with pytest.raises(DataIntegrityError, match=r"expected an array of dtype kind 'iu' and shape \(n,\); got float64"):
        load_train_indices(folder, 10)
    assert not marker.exists()


def test_mlp_weights_with_a_payload_are_refused(tmp_path):
    pytest.importorskip("torch")
    from surrogates.io import load_model, save_model, write_metadata
    from surrogates.mlp import MLP_FILE, MLPSurrogate

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 3)), rng.random(40)
    folder = save_model(MLPSurrogate({"hidden": [4], "epochs": 1}, n_members=1).fit(X, y), tmp_path / "m")
    marker = tmp_path / "marker"
    import hashlib

    blob = pickle.dumps(Payload(builtins.open, (str(marker), "w")))
    (folder / MLP_FILE).write_bytes(blob)
    doc = json.loads((folder / "metadata.json").read_text())
    doc["model"]["files"][0]["sha256"] = hashlib.sha256(blob).hexdigest()
    write_metadata(folder, doc)
    with pytest.raises(DataIntegrityError, match="cannot read mlp_ensemble.pt") as info:
        load_model(folder)
    assert not marker.exists() and "\n" not in str(info.value)


# -- the class is closed: no unrestricted unpickling path in the source ---------------------------------

_UNSAFE_CALLS = {("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"), ("pd", "read_pickle"),
                 ("pandas", "read_pickle"), ("joblib", "load"), ("dill", "load"), ("dill", "loads"),
                 ("cloudpickle", "load"), ("cloudpickle", "loads"), ("marshal", "load"), ("marshal", "loads"),
                 ("shelve", "open"), ("np", "fromfile")}


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
            yield name, node.func.attr, node


def test_no_module_unpickles_outside_the_restricted_reader():
    found = []
    for package in ("nasbench", "tabular_data", "surrogates", "strategies"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path.name == "safe_pickle.py":
                continue  # the one restricted unpickler (it subclasses pickle.Unpickler)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for base, attr, node in _calls(tree):
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                kwargs = {k.arg: k.value for k in node.keywords}
                if (base, attr) in _UNSAFE_CALLS or attr == "read_pickle":
                    found.append(f"{where} {base}.{attr}")
                if attr == "load" and base in ("np", "numpy"):
                    flag = kwargs.get("allow_pickle")
                    if flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False):
                        found.append(f"{where} np.load(allow_pickle=...)")
                if attr == "load" and base == "torch":
                    flag = kwargs.get("weights_only")
                    if not (isinstance(flag, ast.Constant) and flag.value is True):
                        found.append(f"{where} torch.load without weights_only=True")
    assert found == [], "unrestricted unpickling: " + ", ".join(found)


def test_the_scan_finds_an_unsafe_call():
    tree = ast.parse("import pickle, torch, numpy as np\npickle.loads(b'')\ntorch.load(f)\nnp.load(p, allow_pickle=True)")
    names = {(b, a) for b, a, _ in _calls(tree)}
    assert {("pickle", "loads"), ("torch", "load"), ("np", "load")} <= names

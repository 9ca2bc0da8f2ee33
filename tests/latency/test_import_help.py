"""HELP's latency files import exactly, through a restricted unpickler, with clear errors."""

import io
import pickle
import shutil
import zipfile

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError
from tabular_data.importers.help_latency import DEVICES, import_help_latency, read_pt_list
from tabular_data.store import Table

ALL = np.arange(15625)


def _write_pt(path, obj_bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", obj_bytes)
        archive.writestr("archive/version", "3\n")


def test_27_devices_with_their_metadata():
    assert len(DEVICES) == 27
    kinds = {d: v["kind"] for d, v in DEVICES.items()}
    assert sum(k == "gpu" for k in kinds.values()) == 15 and kinds["gold_6226"] == "cpu"
    assert {d for d, v in DEVICES.items() if v["resolution_ms"] == 1.0} == {
        "pixel2", "essential_ph_1", "samsung_a50", "samsung_s7"}


def test_originals_equal_the_standard_unpickler_for_every_arch(latency_root, help_dir):
    table = Table(latency_root / "latency/nb201/help")
    info = table.metric("latency_ms")
    assert info.unit == "ms" and len(info.fidelities) == 27
    values = table.array("latency_ms")
    for col, device in enumerate(info.fidelities):
        with zipfile.ZipFile(help_dir / "original" / f"{device}.pt") as archive:
            expected = np.array(pickle.loads(archive.read("archive/data.pkl")), dtype=np.float64)
        np.testing.assert_array_equal(values[:, col], expected)
    assert table.manifest["info"]["reference_archs"] == [11982, 431, 55, 9, 14451, 8636, 9881, 13479, 6196, 1462]
    assert len(table.manifest["sources"]) == 29  # 27 devices, str_arch2idx, reference archs
    assert all(len(s["sha256"]) == 64 for s in table.manifest["sources"].values())


def test_csv_fallback_gives_the_same_table(tmp_path, latency_root, help_dir, help_csv):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(help_dir / "help_nb201_latency_ms.csv", src)
    lines = []
    (directory,) = import_help_latency(src, tmp_path / "store", log=lines.append)
    devices, expected = help_csv
    table = Table(directory)
    order = [devices.index(d) for d in table.metric("latency_ms").fidelities]
    np.testing.assert_array_equal(table.array("latency_ms"), expected[:, order])
    reference = Table(latency_root / "latency/nb201/help").array("latency_ms")
    np.testing.assert_array_equal(table.array("latency_ms"), reference)
    assert "help_csv" in table.manifest["sources"] and any("reading" in line for line in lines)


def test_restricted_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (exec, ("owned = 1",))  # exec, not print: Ray's tests replace builtins.print

    path = tmp_path / "evil.pt"
    _write_pt(path, pickle.dumps(Evil()))
    with pytest.raises(DataIntegrityError, match=r"expected a plain list/dict of numbers; got a pickle that cannot "
                                                 r"be read safely \(refusing to load builtins.exec"):
        read_pt_list(path)


def test_read_pt_list_rejects_non_archives(tmp_path):
    path = tmp_path / "x.pt"
    path.write_bytes(b"not a zip")
    with pytest.raises(DataIntegrityError, match="is not a zip archive"):
        read_pt_list(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/other.bin", b"")
    with pytest.raises(DataIntegrityError, match="with one data.pkl; found none"):
        read_pt_list(path)


def _copy_originals(help_dir, dest):
    shutil.copytree(help_dir / "original", dest)
    return dest


def test_short_list_is_refused(tmp_path, help_dir):
    src = _copy_originals(help_dir, tmp_path / "src")
    _write_pt(src / "pixel3.pt", pickle.dumps([1.0] * 10))
    with pytest.raises(DataIntegrityError, match="expected a list of 15625 latencies.*got a list of 10"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_non_positive_latency_is_refused(tmp_path, help_dir):
    src = _copy_originals(help_dir, tmp_path / "src")
    _write_pt(src / "fpga.pt", pickle.dumps([0.0] * 15625))
    with pytest.raises(DataIntegrityError, match="finite and positive"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_non_number_latency_is_refused(tmp_path, help_dir):
    src = _copy_originals(help_dir, tmp_path / "src")
    _write_pt(src / "pixel3.pt", pickle.dumps([1.0] * 15624 + ["fast"]))
    with pytest.raises(DataIntegrityError, match="pixel3.pt: the latency list holds values that are not numbers"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_arch_index_that_is_not_a_dict_is_refused(tmp_path, help_dir):
    src = _copy_originals(help_dir, tmp_path / "src")
    _write_pt(src / "str_arch2idx.pt", pickle.dumps([0, 1, 2]))
    with pytest.raises(DataIntegrityError, match="str_arch2idx.pt: expected a dict of 15625 arch strings"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_wrong_arch_order_is_refused(tmp_path, help_dir):
    src = _copy_originals(help_dir, tmp_path / "src")
    mapping = read_pt_list(src / "str_arch2idx.pt")
    first, second = list(mapping)[:2]
    mapping[first], mapping[second] = mapping[second], mapping[first]
    _write_pt(src / "str_arch2idx.pt", pickle.dumps(mapping))
    with pytest.raises(DataIntegrityError, match="HELP maps .* to index 1, but NB201 index 1 is"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_csv_with_rows_out_of_order_is_refused(tmp_path, help_dir):
    src = tmp_path / "src"
    src.mkdir()
    lines = (help_dir / "help_nb201_latency_ms.csv").read_text().splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    (src / "help_nb201_latency_ms.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataIntegrityError, match="row 0 is arch 1"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_csv_with_too_few_rows_or_a_non_number_is_refused(tmp_path, help_dir):
    src = tmp_path / "src"
    src.mkdir()
    lines = (help_dir / "help_nb201_latency_ms.csv").read_text().splitlines()
    (src / "help_nb201_latency_ms.csv").write_text("\n".join(lines[:3]) + "\n")
    with pytest.raises(DataIntegrityError, match="expected 15625 rows .*; got 2"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("pixel3")] = "n/a"
    lines[1] = ",".join(row)
    (src / "help_nb201_latency_ms.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataIntegrityError, match="column 'pixel3' holds a value that is not a number"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_csv_missing_a_device_is_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "help_nb201_latency_ms.csv").write_text("arch_idx,arch_str,pixel3\n")
    with pytest.raises(DataIntegrityError, match="missing 1080ti_1"):
        import_help_latency(src, tmp_path / "store", log=lambda line: None)


def test_missing_folder_and_missing_files(tmp_path):
    with pytest.raises(MissingDataError, match="is not a folder"):
        import_help_latency(tmp_path / "nope", tmp_path / "store")
    with pytest.raises(MissingDataError, match="no HELP latency data under .*help_nb201_latency_ms.csv"):
        import_help_latency(tmp_path, tmp_path / "store")


def test_pickle_with_a_tensor_reference_is_refused(tmp_path):
    data = io.BytesIO()

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", 1) if obj == "tensor" else None

    P(data).dump(["tensor"])
    path = tmp_path / "t.pt"
    _write_pt(path, data.getvalue())
    with pytest.raises(DataIntegrityError, match="persistent id"):
        read_pt_list(path)

"""`boostfocal compare`'s run folder: a new run-NNN that appears only complete.

The whole command's guarantees about --out are tested in test_cli.py.
"""

from __future__ import annotations

from boostfocal.compare import _runfolder


def test_concurrent_runs_claim_different_folders(tmp_path):
    """Two runs finishing into the same --out: the name is claimed by an exclusive mkdir."""
    first, second = _runfolder.RunFolder(tmp_path), _runfolder.RunFolder(tmp_path)
    (first.tmp / "a").write_text("first")
    (second.tmp / "a").write_text("second")
    assert second.publish().name == "run-001"
    (tmp_path / "run-002").mkdir()  # someone took the next name meanwhile
    (tmp_path / "run-002" / "theirs").write_text("theirs")
    assert first.publish().name == "run-003"
    assert (tmp_path / "run-001" / "a").read_text() == "second"
    assert (tmp_path / "run-003" / "a").read_text() == "first"
    assert (tmp_path / "run-002" / "theirs").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-001", "run-002", "run-003"]


def test_an_out_made_for_a_failed_run_is_removed_again(tmp_path):
    folder = _runfolder.RunFolder(tmp_path / "a" / "b" / "c")
    assert folder.tmp.parent == tmp_path / "a" / "b" / "c"
    folder.discard()
    assert list(tmp_path.iterdir()) == []

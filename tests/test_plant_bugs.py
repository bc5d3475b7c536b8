"""The planted-bug script (scripts/plant_bugs.py) still applies to today's code.

Running every plant takes minutes (``make plant-bugs``); this only checks, in a second,
that each edit still finds its text and that each named test file exists, so the script
cannot rot silently while the library changes.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import plant_bugs  # noqa: E402


@pytest.mark.parametrize("plant", plant_bugs.PLANTS, ids=lambda p: p.name)
def test_each_plant_still_applies(plant, tmp_path):
    (tmp_path / plant.file).parent.mkdir(parents=True)
    (tmp_path / plant.file).write_text((ROOT / plant.file).read_text())
    plant_bugs.apply(plant, tmp_path)
    assert (tmp_path / plant.file).read_text() != (ROOT / plant.file).read_text()
    for test in plant.tests:
        assert (ROOT / test.split("::")[0]).is_file(), test


def test_a_plant_whose_text_is_gone_is_reported(tmp_path):
    (tmp_path / "resnet_lib").mkdir()
    (tmp_path / "resnet_lib" / "blocks.py").write_text("nothing to see\n")
    with pytest.raises(LookupError, match="batchnorm-epsilon"):
        plant_bugs.apply(plant_bugs.PLANTS[0], tmp_path)

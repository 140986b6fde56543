"""The iio sensor on fake sysfs trees."""

from __future__ import annotations

import shutil

import pytest

from lightctl.config import SensorConfig
from lightctl.errors import SensorError
from lightctl.sensors import build_sensor


def device(root, n: int, name: str, **attrs: str):
    d = root / f"iio:device{n}"
    d.mkdir(parents=True)
    (d / "name").write_text(name + "\n")
    for k, v in attrs.items():
        (d / k).write_text(v + "\n")
    return d


def test_iio_input_by_name(tmp_path):
    """`name` finds the device whatever its number; in_illuminance_input is lux."""
    device(tmp_path, 0, "tsl4531", in_illuminance_input="5")
    device(tmp_path, 1, "veml7700", in_illuminance_input="321.5")
    s = build_sensor(SensorConfig(type="iio", name="veml7700"), sysfs_root=tmp_path)
    assert s.read() == 321.5


def test_iio_raw_times_scale(tmp_path):
    """BH1750 driver: raw 1200 x scale 0.833333 = 1000 lx."""
    d = device(tmp_path, 3, "bh1750", in_illuminance_raw="1200", in_illuminance_scale="0.833333")
    s = build_sensor(SensorConfig(type="iio", path=str(d)))
    assert s.read() == pytest.approx(1000.0, rel=1e-5)


def test_iio_indexed_channel_with_offset_and_shared_scale(tmp_path):
    """in_illuminance0_raw uses its own offset and the shared in_illuminance_scale."""
    device(
        tmp_path,
        0,
        "tsl2563",
        in_illuminance0_raw="100",
        in_illuminance0_offset="-10",
        in_illuminance_scale="2",
    )
    s = build_sensor(SensorConfig(type="iio", name="tsl2563"), sysfs_root=tmp_path)
    assert s.read() == 180.0


def test_iio_unknown_name_lists_found(tmp_path):
    """A name not present lists the names that are."""
    device(tmp_path, 0, "tsl4531", in_illuminance_input="5")
    s = build_sensor(SensorConfig(type="iio", name="bh1750"), sysfs_root=tmp_path)
    with pytest.raises(SensorError, match="found: tsl4531"):
        s.read()


def test_iio_garbage_and_unreadable(tmp_path):
    """A non-number and an unreadable attribute are SensorErrors."""
    d = device(tmp_path, 0, "bh1750", in_illuminance_input="oops")
    s = build_sensor(SensorConfig(type="iio", name="bh1750"), sysfs_root=tmp_path)
    with pytest.raises(SensorError, match="not a number"):
        s.read()
    (d / "in_illuminance_input").unlink()
    (d / "in_illuminance_input").mkdir()  # reading it raises an OSError, like EIO
    with pytest.raises(SensorError, match="cannot read"):
        s.read()


def test_iio_device_gone_and_back_under_another_number(tmp_path):
    """A vanished device is an error; when it returns as iio:device2 it is found again."""
    d = device(tmp_path, 0, "bh1750", in_illuminance_input="10")
    s = build_sensor(SensorConfig(type="iio", name="bh1750"), sysfs_root=tmp_path)
    assert s.read() == 10.0
    shutil.rmtree(d)
    with pytest.raises(SensorError):
        s.read()
    with pytest.raises(SensorError, match="no device named"):
        s.read()
    device(tmp_path, 2, "bh1750", in_illuminance_input="20")
    assert s.read() == 20.0


def test_iio_no_light_channel(tmp_path):
    """A device without illuminance attributes (e.g. the UV-only VEML6070) is named."""
    device(tmp_path, 0, "veml6070", in_intensity_uv_raw="3")
    s = build_sensor(SensorConfig(type="iio", name="veml6070"), sysfs_root=tmp_path)
    with pytest.raises(SensorError, match="no in_illuminance"):
        s.read()


def test_iio_needs_path_or_name():
    """Neither path nor name is refused with both keys named."""
    with pytest.raises(SensorError, match="sensor.path or sensor.name"):
        build_sensor(SensorConfig(type="iio"))

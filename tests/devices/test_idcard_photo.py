"""The WLT photo decoder path, against a real shared library with the vendor's calling convention."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import CardPlaced, DeviceError, ReaderConnected
from devices.idcard.photo import BMP_SIZE, PhotoDecoder
from devices.idcard.reader import SerialCardReader
from devices.idcard.simulator import CardReaderSimulator
from devices.samples import WANG_XIUYING
from tests.devices.conftest import Events
from tests.fuzzing import FUZZ

# Stands in for the vendor's libwlt2bmp: same symbol, same arguments, same return convention.
STAND_IN = r"""
#include <string.h>
int unpack(char *wlt, char *bmp, int save) {
    if ((unsigned char)wlt[0] == 0xFF) return -2;
    memset(bmp, 0, 38862);
    bmp[0] = 'B'; bmp[1] = 'M';
    memcpy(bmp + 54, wlt, 16);
    return 1;
}
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the stand-in decoder library")
    folder = tmp_path_factory.mktemp("wlt")
    (folder / "wlt.c").write_text(STAND_IN)
    subprocess.run([compiler, "-shared", "-fPIC", "-o", folder / "libwlt2bmp.so", folder / "wlt.c"], check=True)
    return folder / "libwlt2bmp.so"


def test_decoder_turns_wlt_into_a_bmp_in_memory(library):
    bmp = PhotoDecoder(library).decode(bytes(range(16)) * 64)
    assert len(bmp) == BMP_SIZE and bmp[:2] == b"BM" and bmp[54:70] == bytes(range(16))


def test_decoder_refusal_and_bad_input_are_device_errors(library):
    decoder = PhotoDecoder(library)
    with pytest.raises(DeviceError, match="解码失败"):
        decoder.decode(b"\xff" * 1024)
    with pytest.raises(DeviceError, match="1024"):
        decoder.decode(b"\x00" * 10)


def test_a_missing_library_is_a_clear_device_error(tmp_path):
    with pytest.raises(DeviceError, match="无法加载"):
        PhotoDecoder(tmp_path / "libwlt2bmp.so")


def test_driver_decodes_the_photo_when_a_library_is_configured(library, tmp_path):
    sim = CardReaderSimulator(tmp_path).start()
    events = Events()
    reader = SerialCardReader(sim.port, poll_interval=0.02, photo_decoder=PhotoDecoder(library))
    reader.start(events)
    try:
        events.next(ReaderConnected)
        sim.present(WANG_XIUYING, photo=bytes(range(16)) * 64)
        card = events.next(CardPlaced).card
        assert card.portrait[:2] == b"BM" and card.portrait[54:70] == bytes(range(16))
        sim.lift()
        sim.present(WANG_XIUYING, photo=b"\xff" * 1024)  # a photo the library refuses: the card still reads
        card = events.next(CardPlaced).card
        assert card.portrait == b"" and card.id_number == WANG_XIUYING.id_number
    finally:
        reader.stop()
        sim.stop()


@settings(FUZZ, max_examples=100)
@given(wlt=st.binary(min_size=1024, max_size=1024) | st.binary(max_size=2100))
def test_any_photo_bytes_are_a_bmp_or_a_device_error(library, wlt):
    """The photo block comes off the serial line at whatever length the reader said: the decoder must answer
    with a BMP or DeviceError, never hand the library a block of another size."""
    try:
        bmp = PhotoDecoder(library).decode(wlt)
    except DeviceError:
        return
    assert len(wlt) == 1024 and len(bmp) == BMP_SIZE and bmp[:2] == b"BM"

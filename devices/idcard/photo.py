"""The card photo: a licensed vendor WLT decoder, if the site has one, turns it into a 102 × 126 BMP in memory.

The 1024-byte WLT block is a proprietary format and only closed vendor libraries decode it
(``libwlt2bmp.so``, ``WltRS.dll``). The product depends on none: without a configured library there is simply
no photo. The library is loaded with ctypes and called as ``int unpack(char *wlt, char *bmp, int save)``, which
returns 1 on success (the common libwlt2bmp interface; check the vendor's header for another name or return
convention). Neither the WLT bytes nor the BMP are ever written to disk.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

from devices.base import DeviceError

BMP_SIZE = 38862  # 54-byte header + 126 rows of 102 pixels × 3 bytes, each row padded to 308 bytes
WIDTH, HEIGHT = 102, 126


class PhotoDecoder:
    """A vendor WLT decoder library. Raises :class:`DeviceError` if it cannot be loaded."""

    def __init__(self, library: Path) -> None:
        try:
            lib = ctypes.CDLL(str(library))
            self._unpack = lib.unpack
        except (OSError, AttributeError) as exc:
            raise DeviceError(f"照片解码库 {library} 无法加载：{exc}") from exc
        self._unpack.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
        self._unpack.restype = ctypes.c_int
        self.library = library

    def decode(self, wlt: bytes) -> bytes:
        """The BMP of a WLT block; raises :class:`DeviceError` when the library refuses it."""
        if len(wlt) != 1024:
            raise DeviceError(f"照片数据应为1024字节，收到{len(wlt)}字节")
        bmp = ctypes.create_string_buffer(BMP_SIZE)
        result = self._unpack(wlt, bmp, 0)
        if result != 1 or bmp.raw[:2] != b"BM":
            raise DeviceError(f"照片解码失败（返回值 {result}）")
        return bmp.raw

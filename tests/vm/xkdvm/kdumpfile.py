"""A reader of kdump-compressed dumps, written from the format description
(../../../shared/reference/dump-formats.md), not from the collector's code:
the VM scenarios use it to look inside what xen-kdump-collect saved.

Only the standard library: zstd pages are decompressed through libzstd with
ctypes (libzstd1 is a dependency of the build), zlib pages with zlib.
"""
import ctypes
import ctypes.util
import struct
import zlib

SIGNATURE = b"KDUMP   "
SUB_HEADER = struct.Struct("<QiiQQqQqQqQQQQ")
DESC = struct.Struct("<qIIQ")
FLAG_ZLIB, FLAG_LZO, FLAG_SNAPPY, FLAG_ZSTD = 0x1, 0x2, 0x4, 0x20
STATUS_INCOMPLETE = 0x8


class KdumpError(Exception):
    pass


_zstd = None


def _zstd_lib():
    global _zstd
    if _zstd is None:
        name = ctypes.util.find_library("zstd") or "libzstd.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            raise KdumpError("cannot load libzstd (%s): apt-get install libzstd1" % e)
        lib.ZSTD_decompress.restype = ctypes.c_size_t
        lib.ZSTD_decompress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        lib.ZSTD_isError.restype = ctypes.c_uint
        lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        _zstd = lib
    return _zstd


def _unzstd(data, size):
    lib = _zstd_lib()
    out = ctypes.create_string_buffer(size)
    n = lib.ZSTD_decompress(out, size, data, len(data))
    if lib.ZSTD_isError(n) or n != size:
        raise KdumpError("a zstd page does not decompress to %d bytes" % size)
    return out.raw


class Kdump:
    """dump = Kdump(path); dump.pages() yields (pfn, 4096 bytes) of every dumped page."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        head = self.f.read(4096)
        if len(head) < 464 or head[:8] != SIGNATURE:
            raise KdumpError("%s: not a kdump-compressed file (starts %r)" % (path, head[:8]))
        self._parse_header(head)
        self.f.seek(self.block_size)
        sub = self.f.read(SUB_HEADER.size)
        (self.phys_base, self.dump_level, _split, _s, _e, self.offset_vmcoreinfo, self.size_vmcoreinfo,
         self.offset_note, self.size_note, _oe, _se, _s64, _e64, max_mapnr_64) = SUB_HEADER.unpack(sub)
        if self.header_version >= 6:
            self.max_mapnr = max_mapnr_64
        half = self.bitmap_blocks * self.block_size // 2
        if half * 8 < self.max_mapnr:
            raise KdumpError("%s: bitmaps of %d bytes cannot cover %d frames" % (path, half, self.max_mapnr))
        self.f.seek((1 + self.sub_hdr_size) * self.block_size)
        self.ram_bitmap = self.f.read(half)
        self.dumped_bitmap = self.f.read(half)
        if len(self.dumped_bitmap) != half:
            raise KdumpError("%s: truncated inside the bitmaps" % path)
        self.desc_offset = (1 + self.sub_hdr_size + self.bitmap_blocks) * self.block_size

    def _parse_header(self, head):
        # signature[8], header_version at 8, utsname at 12 (6 x 65), release at 12 + 2 * 65
        self.header_version = struct.unpack_from("<i", head, 8)[0]
        uts = [head[12 + 65 * i:12 + 65 * (i + 1)].split(b"\0")[0].decode("ascii", "replace") for i in range(6)]
        self.sysname, self.nodename, self.release = uts[0], uts[1], uts[2]
        (self.status, self.block_size, self.sub_hdr_size, self.bitmap_blocks, self.max_mapnr,
         self.total_ram_blocks, self.device_blocks, self.written_blocks, self.current_cpu,
         self.nr_cpus) = struct.unpack_from("<IiiIIIIIIi", head, 424)
        if self.block_size != 4096:
            raise KdumpError("%s: block size %d, expected 4096" % (self.path, self.block_size))

    @property
    def incomplete(self):
        return bool(self.status & STATUS_INCOMPLETE)

    def notes(self):
        self.f.seek(self.offset_note)
        return self.f.read(self.size_note)

    def dumped_pfns(self):
        bm = self.dumped_bitmap
        for byte_index in range(min(len(bm), (self.max_mapnr + 7) // 8)):
            b = bm[byte_index]
            if not b:
                continue
            for bit in range(8):
                if b & (1 << bit):
                    pfn = byte_index * 8 + bit
                    if pfn < self.max_mapnr:
                        yield pfn

    def pages(self):
        """(pfn, data) for each dumped page in pfn order.  A descriptor with
        offset 0 (never written: an incomplete dump) yields data None."""
        pfns = list(self.dumped_pfns())
        self.f.seek(self.desc_offset)
        descs = self.f.read(DESC.size * len(pfns))
        if len(descs) != DESC.size * len(pfns):
            raise KdumpError("%s: truncated in the page descriptors" % self.path)
        cache = {}  # shared data (one zero page for all zero pages)
        for i, pfn in enumerate(pfns):
            offset, size, flags, _pf = DESC.unpack_from(descs, i * DESC.size)
            if offset == 0:
                yield pfn, None
                continue
            key = (offset, size, flags)
            if key in cache:
                yield pfn, cache[key]
                continue
            self.f.seek(offset)
            raw = self.f.read(size)
            if len(raw) != size:
                raise KdumpError("%s: pfn %#x: data at %d truncated" % (self.path, pfn, offset))
            if flags & FLAG_ZSTD:
                data = _unzstd(raw, self.block_size)
            elif flags & FLAG_ZLIB:
                data = zlib.decompress(raw)
            elif flags & (FLAG_LZO | FLAG_SNAPPY):
                raise KdumpError("%s: pfn %#x is lzo/snappy-compressed; this reader has zstd and zlib only"
                                 % (self.path, pfn))
            else:
                data = raw
            if len(data) != self.block_size:
                raise KdumpError("%s: pfn %#x decompresses to %d bytes" % (self.path, pfn, len(data)))
            if len(cache) < 64 and data == bytes(self.block_size):
                cache[key] = data
            yield pfn, data

    def count(self, patterns):
        """{pattern: (occurrences, pages)} over all dumped page data; patterns
        are bytes, matched within pages and across adjacent pfns."""
        result = {p: [0, 0] for p in patterns}
        prev_pfn, prev_tail = None, b""
        overlap = max(len(p) for p in patterns) - 1
        for pfn, data in self.pages():
            if data is None:
                prev_pfn = None
                continue
            joined = (prev_tail if prev_pfn == pfn - 1 else b"") + data
            skip = len(joined) - len(data)
            for p in patterns:
                n = 0
                at = joined.find(p)
                while at >= 0:
                    if at + len(p) > skip:  # not wholly inside the previous page (counted there)
                        n += 1
                    at = joined.find(p, at + len(p))
                if n:
                    result[p][0] += n
                    result[p][1] += 1
            prev_pfn, prev_tail = pfn, data[-overlap:] if overlap else b""
        return {p: tuple(v) for p, v in result.items()}

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

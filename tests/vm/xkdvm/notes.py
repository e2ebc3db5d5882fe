"""Parse the ELF header and notes at the head of a /proc/vmcore.

The capture initramfs saves the first bytes of /proc/vmcore (ELF header,
program headers and the merged PT_NOTE) to /out/vmcore-head, so host-side
assertions can check what Xen and the loader put into the dump without
copying gigabytes.
"""
import struct

PT_LOAD = 1
PT_NOTE = 4
ET_CORE = 4
EM_X86_64 = 62

NT_PRSTATUS = 1
XEN_ELFNOTE_CRASH_INFO = 0x1000001
XEN_ELFNOTE_CRASH_REGS = 0x1000002

# crash_xen_info_t: all unsigned long; string fields are machine addresses.
CRASH_INFO_FIELDS = (
    "xen_major_version", "xen_minor_version", "xen_extra_version",
    "xen_changeset", "xen_compiler", "xen_compile_date", "xen_compile_time",
    "tainted", "xen_phys_start", "dom0_pfn_to_mfn_frame_list_list",
)


class NotesError(Exception):
    pass


class Note:
    def __init__(self, name, type, desc, offset):
        self.name = name
        self.type = type
        self.desc = desc
        self.offset = offset

    def __repr__(self):
        return "Note(%r, %#x, %d bytes)" % (self.name, self.type, len(self.desc))


class Core:
    """ELF core header + notes of a vmcore head."""

    def __init__(self, data):
        self.data = data
        self.phdrs = []
        self.notes = []
        self._parse()

    def _parse(self):
        d = self.data
        if len(d) < 64 or d[:4] != b"\x7fELF":
            raise NotesError("not an ELF file (%d bytes, starts %r)" % (len(d), d[:4]))
        if d[4] != 2 or d[5] != 1:
            raise NotesError("not a little-endian ELF64 file (class %d, data %d)" % (d[4], d[5]))
        (self.e_type, self.e_machine, _ver, _entry, phoff, _shoff, _flags, _ehsize,
         phentsize, phnum, _shentsize, _shnum, _shstrndx) = struct.unpack_from(
            "<HHIQQQIHHHHHH", d, 16)
        if phentsize != 56:
            raise NotesError("unexpected e_phentsize %d" % phentsize)
        end = phoff + phnum * phentsize
        if end > len(d):
            raise NotesError("program headers end at %d, past the %d saved bytes" % (end, len(d)))
        for i in range(phnum):
            (p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz,
             p_align) = struct.unpack_from("<IIQQQQQQ", d, phoff + i * phentsize)
            self.phdrs.append(dict(type=p_type, flags=p_flags, offset=p_offset, vaddr=p_vaddr,
                                   paddr=p_paddr, filesz=p_filesz, memsz=p_memsz))
        for ph in self.phdrs:
            if ph["type"] == PT_NOTE:
                self.notes.extend(parse_notes(d, ph["offset"], ph["filesz"]))

    @property
    def loads(self):
        return [p for p in self.phdrs if p["type"] == PT_LOAD]

    def find(self, name, type=None):
        return [n for n in self.notes if n.name == name and (type is None or n.type == type)]

    def prstatus(self):
        return self.find("CORE", NT_PRSTATUS)

    def crash_regs(self):
        return self.find("Xen", XEN_ELFNOTE_CRASH_REGS)

    def crash_info(self):
        """The decoded Xen CRASH_INFO note, or None."""
        found = self.find("Xen", XEN_ELFNOTE_CRASH_INFO)
        if not found:
            return None
        desc = found[0].desc
        n = min(len(desc) // 8, len(CRASH_INFO_FIELDS))
        return dict(zip(CRASH_INFO_FIELDS, struct.unpack_from("<%dQ" % n, desc)))

    def vmcoreinfo(self, name="VMCOREINFO_XEN"):
        """KEY=VALUE lines of a VMCOREINFO-style note as a dict, or None."""
        found = self.find(name)
        if not found:
            return None
        return parse_vmcoreinfo(found[0].desc)

    def summary(self):
        """A one-line account of the notes, e.g. for the demo and failure messages."""
        counts = {}
        for n in self.notes:
            key = "%s/%#x" % (n.name, n.type)
            counts[key] = counts.get(key, 0) + 1
        return ", ".join("%d x %s" % (c, k) for k, c in counts.items()) or "no notes"


def _align4(n):
    return (n + 3) & ~3


def parse_notes(data, offset, size):
    """Walk one PT_NOTE segment; raise NotesError on truncation or a malformed entry."""
    if offset + size > len(data):
        raise NotesError("PT_NOTE at %d+%d is past the %d saved bytes: save more of /proc/vmcore"
                         % (offset, size, len(data)))
    notes = []
    pos, end = offset, offset + size
    while pos + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        if namesz == 0 and descsz == 0 and ntype == 0:
            break  # zero padding after the last note
        name_off = pos + 12
        desc_off = name_off + _align4(namesz)
        nxt = desc_off + _align4(descsz)
        if nxt > end:
            raise NotesError("note at %d (namesz %d, descsz %d) overruns its PT_NOTE ending at %d"
                             % (pos, namesz, descsz, end))
        name = data[name_off:name_off + namesz].rstrip(b"\0").decode("ascii", "replace")
        notes.append(Note(name, ntype, bytes(data[desc_off:desc_off + descsz]), pos))
        pos = nxt
    return notes


def parse_vmcoreinfo(desc):
    out = {}
    for line in desc.rstrip(b"\0").decode("ascii", "replace").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def load(path):
    with open(path, "rb") as f:
        return Core(f.read())


def build_core(notes, loads=(), pad_to=0):
    """Build a synthetic ELF64 core (for the self-tests): notes is a list of
    (name, type, desc-bytes), loads a list of (paddr, size)."""
    blob = b""
    for name, ntype, desc in notes:
        nb = name.encode() + b"\0"
        blob += struct.pack("<III", len(nb), len(desc), ntype)
        blob += nb + b"\0" * (_align4(len(nb)) - len(nb))
        blob += desc + b"\0" * (_align4(len(desc)) - len(desc))
    phnum = 1 + len(loads)
    note_off = 64 + 56 * phnum
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    ehdr += struct.pack("<HHIQQQIHHHHHH", ET_CORE, EM_X86_64, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
    phdrs = struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(blob), len(blob), 0)
    off = note_off + len(blob)
    for paddr, size in loads:
        phdrs += struct.pack("<IIQQQQQQ", PT_LOAD, 7, off, 0, paddr, size, size, 0)
        off += size
    data = ehdr + phdrs + blob
    return data + b"\0" * max(0, pad_to - len(data))

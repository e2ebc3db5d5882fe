"""One QEMU TCG guest running Xen: its serial line, its monitor, its lifetime."""
import ctypes
import os
import re
import signal
import select
import shutil
import socket
import subprocess
import tempfile
import time

PHASE_RE = re.compile(r"XKD-PHASE (\w+)")
FAIL_RE = re.compile(r"XKD-FAIL (.*)")


class MachineError(Exception):
    pass


def _die_with_parent():
    """QEMU gets SIGKILL if the harness dies, so no guest outlives its run.  It
    also runs 5 nice levels ahead of the harness: the VM lock serialises the
    guests, so on a shared machine the running one is everyone's critical path,
    and its phase timeouts assume it gets the CPU (root only; else as is).
    With the kernel's sched_autogroup on, nice orders tasks only inside one
    session's group (another terminal's build is an equal peer): QEMU gets a
    session of its own and that group is given the same -5."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    try:
        os.nice(-5)
    except OSError:
        pass
    try:
        os.setsid()
        with open("/proc/self/autogroup", "w") as f:
            f.write("-5")
    except OSError:
        pass


class Machine:
    def __init__(self, outdir, xen, xen_cmdline, vmlinuz, dom0_cmdline, initrd, smp, memory_mb,
                 extra_args=(), on_line=None, on_phase=None, reboot=False, firmware_args=None):
        """firmware_args: boot through firmware (uefi.qemu_args) instead of QEMU's
        multiboot loader (-kernel Xen, -initrd dom0)."""
        self.outdir = outdir
        self.smp = smp
        self.sockdir = tempfile.mkdtemp(prefix="xkd-vm-")  # short paths: sun_path is 108 bytes
        self.ser_path = os.path.join(self.sockdir, "ser.sock")
        self.mon_path = os.path.join(self.sockdir, "mon.sock")
        if firmware_args is None:
            for p in (xen, vmlinuz, initrd):
                if "," in p:
                    raise MachineError("%s: QEMU's -initrd/-kernel cannot take a path with a comma" % p)
            boot = ["-kernel", xen, "-append", xen_cmdline,
                    "-initrd", "%s %s,%s" % (vmlinuz, dom0_cmdline, initrd)]
        else:
            boot = list(firmware_args)
        self.cmd = [
            "qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "max,-smap",
            "-smp", str(smp), "-m", str(memory_mb), "-display", "none",
            "-nodefaults", "-vga", "none",
            "-chardev", "socket,id=ser0,path=%s,server=on,wait=on,logfile=%s"
            % (self.ser_path, os.path.join(outdir, "serial.raw")),
            "-serial", "chardev:ser0",
            "-monitor", "unix:%s,server=on,wait=off" % self.mon_path,
            "-virtfs", "local,path=%s,mount_tag=out,security_model=none" % outdir,
        ] + boot + list(extra_args)
        if not reboot:  # a reset (the capture's reboot, a triple fault) ends the run
            self.cmd[self.cmd.index("-nodefaults"):self.cmd.index("-nodefaults")] = ["-no-reboot"]
        self.proc = None
        self.sock = None
        self.t0 = None
        self.buf = b""
        self.lines = []          # (seconds since QEMU start, text)
        self.phases = {}
        self.failure = None      # first XKD-FAIL message
        self.on_line = on_line
        self.on_phase = on_phase
        self.log = open(os.path.join(outdir, "serial.log"), "w")
        self.exit_time = None

    def now(self):
        return time.monotonic() - self.t0

    def start(self, connect_timeout=30):
        qlog = open(os.path.join(self.outdir, "qemu.log"), "w")
        with open(os.path.join(self.outdir, "qemu.cmd"), "w") as f:
            f.write(" ".join("'%s'" % a if " " in a else a for a in self.cmd) + "\n")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=qlog, stderr=qlog,
                                     preexec_fn=_die_with_parent)
        self.mark("qemu_start")
        deadline = time.monotonic() + connect_timeout
        while True:
            if self.proc.poll() is not None:
                raise MachineError("QEMU exited at once (rc %d): see qemu.log" % self.proc.returncode)
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.ser_path)
                self.sock = s
                return
            except OSError:
                s.close()
            if time.monotonic() > deadline:
                raise MachineError("QEMU's serial socket did not appear in %d s" % connect_timeout)
            time.sleep(0.05)

    def mark(self, phase, t=None):
        if phase not in self.phases:
            self.phases[phase] = round(self.now() if t is None else t, 2)
            if self.on_phase:
                self.on_phase(phase, self.phases[phase])

    def _line(self, raw):
        t = self.now()
        text = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
        self.lines.append((t, text))
        self.log.write("[%8.2f] %s\n" % (t, text))
        self.log.flush()
        m = PHASE_RE.search(text)
        if m:
            self.mark(m.group(1), t)
        m = FAIL_RE.search(text)
        if m and self.failure is None:
            self.failure = m.group(1).strip()
        if "Executing kexec image" in text:
            self.mark("kexec_exec", t)
        if self.on_line:
            self.on_line(t, text)

    def pump(self, timeout):
        """Read serial output for up to timeout seconds; False once QEMU is gone."""
        if self.sock is None:
            return False
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return self.proc.poll() is None
        data = self.sock.recv(65536)
        if not data:
            self.sock.close()
            self.sock = None
            if self.buf:
                self._line(self.buf)
                self.buf = b""
            return False
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self._line(line)
        return True

    def wait_for(self, predicate, timeout, what):
        """Pump until predicate() holds; raise MachineError on timeout, XKD-FAIL or QEMU exit."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.failure:
                raise MachineError("guest reported failure while waiting for %s: %s"
                                   % (what, self.failure))
            left = deadline - time.monotonic()
            if left <= 0:
                raise MachineError("timed out after %d s waiting for %s" % (timeout, what))
            if not self.pump(min(left, 0.5)):
                while self.sock is not None and self.pump(0.1):
                    pass
                if predicate():
                    break
                if self.failure:
                    raise MachineError("guest reported failure while waiting for %s: %s"
                                       % (what, self.failure))
                rc = self.proc.wait(timeout=10)
                raise MachineError("QEMU exited (rc %d) at %.1f s while waiting for %s"
                                   % (rc, self.now(), what))

    def wait_phase(self, phase, timeout):
        self.wait_for(lambda: phase in self.phases, timeout, "phase " + phase)

    def wait_line(self, regex, timeout):
        rx = re.compile(regex)
        start = len(self.lines)
        self.wait_for(lambda: any(rx.search(t) for _, t in self.lines[start:]), timeout,
                      "serial line /%s/" % regex)

    def send_serial(self, data):
        self.sock.sendall(data)

    def monitor(self, command, timeout=10):
        """Run one QEMU monitor command; returns its output."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.mon_path)
            def until_prompt():
                out = b""
                while b"(qemu)" not in out:
                    chunk = s.recv(4096)  # bounded by the socket timeout
                    if not chunk:
                        raise MachineError("QEMU closed its monitor during %r" % command)
                    out += chunk
                return out.decode("utf-8", "replace")
            until_prompt()
            s.sendall(command.encode() + b"\n")
            return until_prompt()
        except socket.timeout:
            raise MachineError("QEMU's monitor did not answer %r in %d s" % (command, timeout))
        finally:
            s.close()

    def wait_exit(self, timeout):
        """Wait for QEMU to power off; keeps reading the serial line meanwhile."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise MachineError("QEMU still running %d s after the capture finished" % timeout)
            if self.sock is not None:
                self.pump(min(left, 0.5))
            else:
                time.sleep(min(left, 0.1))
        while self.sock is not None and self.pump(0.1):
            pass
        self.mark("poweroff")
        return self.proc.returncode

    def tail(self, n=40):
        return "\n".join("[%8.2f] %s" % (t, text) for t, text in self.lines[-n:])

    def stop(self):
        """Kill our own QEMU (only it), close sockets and logs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.log.close()
        shutil.rmtree(self.sockdir, ignore_errors=True)

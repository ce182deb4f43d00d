"""Forbid network sockets in the processes that evaluate user SPARQL: a seccomp filter installed at their start.

Whatever a query says (SERVICE, or any way around the lexical check in graph.store.guard), the process
that evaluates it cannot create an AF_INET or AF_INET6 socket, so it cannot connect anywhere. The filter
is classic BPF loaded with prctl/seccomp through ctypes, with no library beyond the C library:

* ``socket`` and ``socketpair`` are allowed for AF_UNIX only (the pipe to the parent); every other address
  family fails with EACCES. The domain is compared on its low 32 bits, as the kernel reads it (an int).
* ``io_uring_setup``/``enter``/``register`` fail (io_uring can open sockets without the socket syscall), and
  so do ``ptrace``, ``process_vm_readv``/``writev`` and ``pidfd_getfd`` (no borrowing another process's
  sockets).
* A system call of another ABI (32-bit ``int 0x80``, x32) fails, so no other system call table can be
  used around the rules. No-new-privileges is set first, and the filter is inherited by every thread
  (TSYNC) and by any child, and can never be removed.

Sockets inherited from the parent are closed before the filter is installed (a spawned process inherits
none, but the rule does not rest on that). Supported: Linux on x86_64 and aarch64 with seccomp filters
(Linux >= 3.17). Elsewhere `confine()` raises SandboxUnavailable and `unavailable_reason()` says why.

Usage::

    confine()                  # in a query process, before it reads any query
    unavailable_reason()       # None when the platform can confine query processes
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import socket
import stat
import subprocess
import sys
import threading

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
X32_SYSCALL_BIT = 0x40000000

# per architecture: AUDIT_ARCH value in seccomp_data.arch, the seccomp syscall, and the numbers of the
# system calls the filter restricts (Linux uapi unistd.h of each architecture)
ARCHES = {
    "x86_64": {"audit": 0xC000003E, "seccomp": 317, "socket": 41, "socketpair": 53,
               "denied": {"ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "io_uring_setup": 425,
                          "io_uring_enter": 426, "io_uring_register": 427, "pidfd_getfd": 438}},
    "aarch64": {"audit": 0xC00000B7, "seccomp": 277, "socket": 198, "socketpair": 199,
                "denied": {"ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "io_uring_setup": 425,
                           "io_uring_enter": 426, "io_uring_register": 427, "pidfd_getfd": 438}},
}
ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}

# classic BPF opcodes
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (little-endian: args[0]'s low word at 16)


class SandboxUnavailable(RuntimeError):
    """This platform or process cannot install the filter; the message says why."""


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def _arch() -> dict:
    """Return the system call table of this machine, or raise SandboxUnavailable."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"seccomp filters exist on Linux only (this is {sys.platform})")
    machine = platform.machine().lower()
    machine = ARCH_ALIASES.get(machine, machine)
    if machine not in ARCHES:
        raise SandboxUnavailable(f"no seccomp filter is defined for the {machine} architecture "
                                 f"(supported: {', '.join(ARCHES)})")
    if sys.byteorder != "little" or ctypes.sizeof(ctypes.c_void_p) != 8:
        raise SandboxUnavailable("the filter needs a 64-bit little-endian Python")
    return ARCHES[machine]


def program(arch: dict) -> list[tuple[int, int, int, int]]:
    """Return the filter as (code, jt, jf, k) instructions for one architecture."""
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    # (code, true label or None, false label or None, k, own label)
    steps: list[tuple] = [
        (_LD_W_ABS, None, None, _ARCH, None),
        (_JEQ_K, None, "deny", arch["audit"], None),  # a foreign ABI (int 0x80 on x86_64): nothing allowed
        (_LD_W_ABS, None, None, _NR, None),
    ]
    if arch is ARCHES["x86_64"]:
        steps.append((_JGE_K, "deny", None, X32_SYSCALL_BIT, None))  # x32 system calls
    steps += [(_JEQ_K, "domain", None, arch["socket"], None), (_JEQ_K, "domain", None, arch["socketpair"], None)]
    steps += [(_JEQ_K, "deny", None, number, None) for number in arch["denied"].values()]
    steps += [
        (_RET_K, None, None, SECCOMP_RET_ALLOW, None),
        (_LD_W_ABS, None, None, _ARG0, "domain"),
        (_JEQ_K, "allow", "deny", socket.AF_UNIX, None),
        (_RET_K, None, None, deny, "deny"),
        (_RET_K, None, None, SECCOMP_RET_ALLOW, "allow"),
    ]
    labels = {label: i for i, (*_, label) in enumerate(steps) if label}
    out = []
    for i, (code, jt, jf, k, _) in enumerate(steps):
        out.append((code, labels[jt] - i - 1 if jt else 0, labels[jf] - i - 1 if jf else 0, k))
    return out


def _close_network_sockets() -> None:
    """Close every inherited AF_INET/AF_INET6 socket of this process."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=fd)
        except OSError:
            continue
        family = probe.family
        probe.detach()
        if family in (socket.AF_INET, socket.AF_INET6):
            os.close(fd)


def confine() -> None:
    """Install the filter in this process and check it holds; raise SandboxUnavailable if it cannot."""
    arch = _arch()
    _close_network_sockets()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxUnavailable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    steps = program(arch)
    instructions = (_Instruction * len(steps))(*(_Instruction(*step) for step in steps))
    prog = _Program(len(steps), instructions)
    result = libc.syscall(ctypes.c_long(arch["seccomp"]), ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    if result != 0:
        code = ctypes.get_errno()
        if result > 0:
            raise SandboxUnavailable(f"thread {result} of this process could not take the filter")
        if code != errno.ENOSYS or len(os.listdir("/proc/self/task")) != 1:
            raise SandboxUnavailable(f"the kernel refused the seccomp filter: {os.strerror(code)}")
        # Linux 3.5-3.16: no seccomp(2), but prctl covers a process of one thread
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            raise SandboxUnavailable(f"the kernel refused the seccomp filter: {os.strerror(ctypes.get_errno())}")
    _verify()


def _verify() -> None:
    """Raise SandboxUnavailable unless network sockets now fail and Unix sockets still work."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.socket(family, socket.SOCK_STREAM).close()
        except PermissionError:
            continue
        except OSError as exc:
            if exc.errno == errno.EAFNOSUPPORT:  # no IPv6 in this kernel: nothing to forbid
                continue
            raise SandboxUnavailable(f"unexpected error from a forbidden socket: {exc}") from exc
        raise SandboxUnavailable(f"the filter is installed but a {family.name} socket was still created")
    left, right = socket.socketpair(socket.AF_UNIX)
    left.close()
    right.close()


_trial: subprocess.Popen | OSError | None = None
_trial_lock = threading.Lock()


def begin_trial() -> None:
    """Start trying the filter in a child process, once; unavailable_reason() waits for its verdict.

    Started when a store is made, so the trial (a new interpreter: 0.05-0.3 s) runs while the read model loads.
    """
    global _trial
    with _trial_lock:
        if _trial is None:
            try:
                _trial = subprocess.Popen([sys.executable, "-I", __file__], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            except OSError as exc:
                _trial = exc


@functools.cache
def unavailable_reason() -> str | None:
    """Return why query processes cannot be confined here (tried once, in a child process), else None."""
    try:
        _arch()
    except SandboxUnavailable as exc:
        return str(exc)
    begin_trial()
    trial = _trial
    if isinstance(trial, OSError):
        return f"could not try the filter in a child process: {trial}"
    try:
        _, errors = trial.communicate(timeout=60)
    except subprocess.SubprocessError as exc:
        trial.kill()
        return f"could not try the filter in a child process: {exc}"
    if trial.returncode != 0:
        return (errors.strip().splitlines() or [f"the trial process exited with {trial.returncode}"])[-1]
    return None


def sandbox_refusal(sandbox: str, query_workers: int) -> str | None:
    """Return why user queries cannot run under the `sandbox` setting ("required" or "off"), else None."""
    if sandbox == "off":
        return None
    if query_workers <= 0:
        reason = "query_workers = 0 evaluates user queries in the web worker, which no sandbox can confine"
    else:
        reason = unavailable_reason()
        if reason is None:
            return None
        reason = f"the query processes cannot be sandboxed here ({reason})"
    return (f"{reason}. SPARQL queries are refused; to evaluate them without the sandbox, with the lexical "
            'check alone between a query and the network, set sparql_sandbox = "off" (MKG_SPARQL_SANDBOX=off, '
            "or mkg serve --sparql-sandbox off)")


if __name__ == "__main__":  # the trial run of unavailable_reason(), in a throw-away process
    try:
        confine()
    except SandboxUnavailable as exc:
        sys.exit(str(exc))

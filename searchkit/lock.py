"""One writer per index at a time, across processes.

POSIX record locks (``fcntl.lockf``) belong to the process that took them:
they are released when it dies, however it dies, and are not inherited by the
indexing worker processes it forks -- so a killed indexer never leaves the
index locked behind it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time

from searchkit.errors import SearchkitError

LOCK_FILE = ".searchkit-lock"


class IndexBusy(SearchkitError):
    pass


class IndexLock:
    def __init__(self, folder: str, timeout: float = 10.0, poll: float = 0.1):
        self.path = os.path.join(folder, LOCK_FILE)
        self.folder = folder
        self.timeout = timeout
        self.poll = poll
        self._fd: int | None = None

    def __enter__(self) -> "IndexLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EACCES, errno.EAGAIN):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f" (pid {holder})" if holder else ""
                    raise IndexBusy(
                        f"another 'searchkit index'{who} is updating {self.folder}; "
                        f"gave up after waiting {self.timeout:g} s") from None
                time.sleep(self.poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the lock
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None

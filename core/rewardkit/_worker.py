"""Entry point of a worker process: ``python -m rewardkit._worker READ_FD WRITE_FD MEMORY_MB``."""

import sys
from multiprocessing.connection import Connection

from rewardkit.isolation import _Duplex, _worker_main

if __name__ == "__main__":
    read_fd, write_fd, memory_mb = (int(a) for a in sys.argv[1:4])
    _worker_main(_Duplex(Connection(read_fd, writable=False), Connection(write_fd, readable=False)), memory_mb)  # type: ignore[arg-type]

"""Entry point of a worker process: ``python -m rewardkit._worker READ_FD WRITE_FD MEMORY_MB [OWNER_PID]``."""

import sys

from rewardkit.isolation import _worker_main

if __name__ == "__main__":
    read_fd, write_fd, memory_mb, *owner = (int(a) for a in sys.argv[1:5])
    _worker_main(read_fd, write_fd, memory_mb, owner[0] if owner else 0)

"""Entry point of a worker process: ``python -m rewardkit._worker READ_FD WRITE_FD MEMORY_MB``."""

import sys

from rewardkit.isolation import _worker_main

if __name__ == "__main__":
    read_fd, write_fd, memory_mb = (int(a) for a in sys.argv[1:4])
    _worker_main(read_fd, write_fd, memory_mb)

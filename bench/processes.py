"""Stopping the processes a part started (gunicorn, Celery workers)."""

import os
import signal
import subprocess


def stop(process):
    """Warm shutdown (SIGTERM); if that hangs, kill the process group it leads."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

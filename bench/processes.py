"""Starting and stopping the processes a part runs (gunicorn, Celery workers)."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = Path(os.environ.get("WERKPAD_SERVICES_DIR", tempfile.gettempdir()))


def start(module_args, log_name, ready, what):
    """``python -m <module_args>`` in its own process group, output to a log file; returns
    once ``ready()`` is true, or stops it and raises after 60 s or if it exits."""
    log = LOGS / log_name
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603  our interpreter, fixed arguments
            [sys.executable, "-m", *module_args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"{what} start niet; zie {log}")
        time.sleep(0.2)
    return process


def stop(process):
    """Warm shutdown (SIGTERM); if that hangs, kill the process group it leads."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

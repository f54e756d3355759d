"""Requests of one user at the same moment, as a double click sends them: each in a thread
with a signed-in test client and a database connection of its own (a transactional test)."""

import threading

from django.db import connection
from django.test import Client


def at_the_same_time(user, send, times=2):
    """Call ``send(browser)`` in ``times`` threads released together; their responses."""
    start = threading.Barrier(times)
    responses = []

    def run():
        browser = Client()
        browser.force_login(user, backend="portal.backends.UserBackend")
        start.wait()
        try:
            responses.append(send(browser))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return responses

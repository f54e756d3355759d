from celery import shared_task


@shared_task(acks_late=True)
def ping():
    """A trivial task: proves that the broker and a worker are reachable."""
    return "pong"

from django.core.files.storage import storages


def private_storage():
    """Storage for private files: never under a public URL; served only by
    permission-checked, logged views."""
    return storages["private"]

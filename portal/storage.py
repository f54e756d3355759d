from django.core.files.storage import storages
from django.http import Http404


def private_storage():
    """Storage for private files: never under a public URL; served only by
    permission-checked, logged views."""
    return storages["private"]


def open_private(field_file):
    """``field_file`` (of a FileField on private_storage) open for reading, or Http404 when
    its file is gone: purged meanwhile (the file goes before its row), or a database restored
    without its files. Open it before the export is logged: a download that cannot happen is
    no export."""
    try:
        return field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None

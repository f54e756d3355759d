"""What a form was loaded with, carried along with it, for a save that loses the race.

A form of a record others (or the user in another window) may change at the same time
carries, signed, the values it showed (``token``). When its save meets a newer version
(optimistic locking), the view reads them back (``posted``) and tells apart what the user
changed from what they merely left as it was (``same``): the form comes back with the
stored value wherever the user changed nothing and their own value wherever they did, so
saving again cannot put an old value back over a newer one, and nothing typed is lost.
Used by the conversation log's edit form and the gespreksleidraad's steps."""

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder

FIELD = "loaded"  # the hidden input's name
SALT = "cases.loaded"


def token(scope, values):
    """The hidden field's value: ``values`` (field name -> value) of the form identified by
    ``scope`` (for example ("gesprek", pk)). Dates travel as ISO text."""
    return signing.dumps(
        {"scope": list(scope), "values": values},
        salt=SALT,
        compress=True,
        serializer=_Serializer,
    )


def posted(request, scope):
    """The values the posted form of ``scope`` was loaded with, or None: a form from
    before they were carried, or a value that is not ours or not this form's."""
    try:
        payload = signing.loads(request.POST.get(FIELD, ""), salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("scope") != list(scope):
        return None
    values = payload.get("values")
    return values if isinstance(values, dict) else None


def same(one, other):
    """Equal as a form shows them: nothing, '' and an unticked box are all empty; line ends
    and surrounding blanks do not count (a browser posts a textarea's line ends as CRLF); a
    date equals its ISO text; a list of choices is equal in any order."""
    if isinstance(one, (list, tuple)) or isinstance(other, (list, tuple)):
        return sorted(map(_text, one or ())) == sorted(map(_text, other or ()))
    return _text(one) == _text(other)


def _text(value):
    if value is None or value is False:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


class _Serializer(signing.JSONSerializer):
    def dumps(self, obj):
        return DjangoJSONEncoder(separators=(",", ":")).encode(obj).encode("latin-1")

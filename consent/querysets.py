import datetime
from functools import reduce
from operator import or_

from django.db import models
from django.utils import timezone

from portal.constants import OrganisationType

from . import policy

# What makes two consents the same sharing, one after the other.
SAME_SHARING = ("client_id", "provider_id", "recipient_id", "purpose")

# Not withdrawn and not replaced, whatever its period (live(); the overview's state counts).
LIVE = models.Q(withdrawal__isnull=True, superseded_by__isnull=True)


def purpose_fits():
    """Under a purpose someone at the recipient could ever read under: Consent.purpose_fits
    as a query (asked of policy.usable_purposes each time, like the model). Only such a
    consent shares something, so only its end is worth a warning."""
    return reduce(
        or_,
        (
            models.Q(recipient__type=kind, purpose__in=sorted(policy.usable_purposes(kind)))
            for kind in OrganisationType
        ),
    )


def has_follow_on():
    """Whether the consent has a follow-on that carries on straight away (a condition on
    the consent): a later consent for the same sharing, not withdrawn or replaced, that
    starts no later than the day after this one's last day. Then this one's end is not the
    end of the sharing. A follow-on that starts later leaves a gap in which nothing is
    shared, so the end is still worth a warning. (Two live consents for the same sharing do
    not overlap: the consent form refuses that, so a later one starts after this one.) The
    one rule of the regiebehandelaar's notice and the werkvoorraad flag
    (ConsentQuerySet.without_follow_on) and of the beheerder's 'verloopt' tab and start page
    (consent.services.state_filters)."""
    from .models import Consent

    day_after = models.ExpressionWrapper(
        models.OuterRef("valid_until") + datetime.timedelta(days=1),
        output_field=models.DateField(),
    )
    later = Consent.objects.live().filter(
        **{name: models.OuterRef(name) for name in SAME_SHARING},
        valid_from__gt=models.OuterRef("valid_from"),
        valid_from__lte=day_after,
    )
    return models.Exists(later)


class ConsentQuerySet(models.QuerySet):
    def live(self):
        """Not withdrawn and not replaced, whatever its period."""
        return self.filter(LIVE)

    def active(self, today=None):
        """In its period, not withdrawn and not superseded. Computed on every request, so a
        withdrawal or expiry takes effect on the very next one."""
        today = today or timezone.localdate()
        return self.live().filter(valid_from__lte=today, valid_until__gte=today)

    def follow_ons(self, consent):
        """The consents that take over from ``consent`` later: the same client, provider,
        recipient and purpose, starting after it, not withdrawn or replaced (the consent
        form offers one when the current one nears its end)."""
        return self.live().filter(
            **{name: getattr(consent, name) for name in SAME_SHARING},
            valid_from__gt=consent.valid_from,
        )

    def purpose_fits(self):
        """Consents under a purpose someone at the recipient could ever read under."""
        return self.filter(purpose_fits())

    def without_follow_on(self):
        """Consents nobody has followed up: their end is the end of the sharing. Only those
        are worth a warning that they expire. Only a follow-on that carries on straight
        away counts (has_follow_on)."""
        return self.exclude(has_follow_on())

    def update(self, **kwargs):
        raise ValueError("Een toestemming wordt nooit gewijzigd; leg een nieuwe vast.")

    def delete(self):
        raise ValueError("Een toestemming wordt nooit verwijderd.")


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError("Het inzagelog is alleen aan te vullen, niet te wijzigen.")

    def delete(self):
        raise ValueError("Het inzagelog is alleen aan te vullen, niet te verwijderen.")

"""Celery tasks of consent/.

Access never waits for these: withdrawal and expiry take effect on the very next request,
because access is computed from Consent.objects.active(). The beat task only warns the
regiebehandelaar before a consent expires and notes expiries on the case, once each.
"""

from datetime import timedelta

import structlog
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import CaseRole, CaseStatus, TimelineKind
from cases.models import Case, CaseMember, TimelineEntry
from cases.services import add_timeline
from portal.constants import Role

from .constants import Category
from .models import Consent

audit = structlog.get_logger("werkpad.audit")

# Expiries up to this many days back are still noted, so a missed beat run catches up.
EXPIRY_LOOKBACK_DAYS = 7


@shared_task(
    acks_late=True,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def warn_expiring_consents():
    """Daily: a notice to the regiebehandelaar for consents expiring within
    WERKPAD_CONSENT_WARN_DAYS, and one "Toestemming verlopen" entry per expired consent.
    Idempotent: running it twice adds nothing the second time."""
    return notify_expiries()


def notify_expiries(today=None):
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.WERKPAD_CONSENT_WARN_DAYS)
    related = ("client", "provider", "recipient")
    # A consent that shares nothing (Consent.shares_nothing) ends without anything to warn of.
    expiring = (
        Consent.objects.active(today)
        .purpose_fits()
        .without_follow_on()
        .filter(valid_until__lte=soon)
        .select_related(*related)
        .order_by("valid_until", "pk")
    )
    expired = (
        Consent.objects.live()
        .purpose_fits()
        .filter(
            valid_until__lt=today,
            valid_until__gte=today - timedelta(days=EXPIRY_LOOKBACK_DAYS),
        )
        .without_follow_on()
        .select_related(*related)
        .order_by("valid_until", "pk")
    )
    warned = sum(_notice(consent, expired=False) for consent in expiring)
    noted = sum(_notice(consent, expired=True) for consent in expired)
    return {"gewaarschuwd": warned, "verlopen": noted}


def _marker(consent):
    return _("Toestemming nr. %(pk)s:") % {"pk": consent.pk}


def _notice(consent, expired):
    """Add the notice for ``consent`` to the client's open case unless it is there already.
    Returns 1 when added, else 0."""
    case = Case.objects.filter(client_id=consent.client_id, status=CaseStatus.OPEN).first()
    if case is None:
        return 0
    until = consent.valid_until.strftime("%d-%m-%Y")
    title = (
        _("Toestemming verlopen")
        if expired
        else _("Toestemming verloopt op %(date)s") % {"date": until}
    )
    with transaction.atomic():
        # One beat run at a time per case: the check and the insert cannot interleave.
        Case.objects.select_for_update(no_key=True).filter(pk=case.pk).first()
        if TimelineEntry.objects.filter(
            case=case,
            kind=TimelineKind.TOESTEMMING,
            title=title,
            body__startswith=_marker(consent),
        ).exists():
            return 0
        # A notice about a consent is the provider's news (consent.services.own_news): held
        # by the provider, and addressed to a regiebehandelaar only of theirs. A GGZ leading a
        # gemeente's case read of the gemeente's consent to UWV, and the gemeente did not.
        lead = (
            CaseMember.objects.filter(
                content_object=case,
                permission__codename=CaseRole.REGIEBEHANDELAAR,
                user__is_active=True,
                user__role=Role.BEHANDELAAR,
                user__organisation_id=consent.provider_id,
            )
            .select_related("user__organisation")
            .order_by("pk")
            .first()
        )
        lead_user = lead.user if lead is not None else None
        body = (
            _marker(consent)
            + " "
            + (
                _("delen met %(recipient)s voor %(purpose)s, gold tot en met %(date)s.")
                if expired
                else _("delen met %(recipient)s voor %(purpose)s, geldig tot en met %(date)s.")
            )
            % {
                "recipient": consent.recipient,
                "purpose": consent.get_purpose_display(),
                "date": until,
            }
        )
        if lead_user is not None:
            body += " " + _(
                "Voor de regiebehandelaar, %(name)s: bespreek met de cliënt of de toestemming "
                "opnieuw nodig is."
            ) % {"name": lead_user}
        else:
            body += " " + _("Bespreek met de cliënt of de toestemming opnieuw nodig is.")
        add_timeline(
            case,
            None,
            TimelineKind.TOESTEMMING,
            Category.IDENTIFICATIE,
            title,
            body=body,
            organisation=consent.provider,
        )
    audit.info(
        "toestemming_verlopen" if expired else "toestemming_verloopt",
        consent_id=consent.pk,
        client_id=consent.client_id,
        case_id=case.pk,
        valid_until=str(consent.valid_until),
    )
    return 1

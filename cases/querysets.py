from django.db import models
from django.db.models import Q

from .constants import CaseStatus, RecoveryDomain


class CaseQuerySet(models.QuerySet):
    def for_member(self, user, case_roles):
        """Cases on whose team ``user`` is in one of ``case_roles``. Only consent.services
        should call this: the access policy decides which roles count and what a member may
        then see."""
        from .models import CaseMember

        # A semi-join (IN), not a join: one row per case, so lists need no DISTINCT (which
        # would make their count compute every annotation again).
        return self.filter(
            pk__in=CaseMember.objects.filter(user=user, permission__codename__in=case_roles).values(
                "content_object_id"
            )
        )

    def open(self):
        return self.filter(status=CaseStatus.OPEN)


class GoalQuerySet(models.QuerySet):
    def readable(self, afspraken, medisch):
        """The goals that ``afspraken`` (a Q on the holder: whose afspraken & doelen the user
        may read or export) lets through; one in the clinical domain, stored before GoalForm
        left that domain out, is treatment information (Goal.data_category) and also needs
        ``medisch`` (the same Q for medisch), which Werk & Inkomen never has."""
        return self.filter(afspraken).filter(~Q(domain=RecoveryDomain.KLINISCH) | medisch)

from django.db import models

from .constants import CaseStatus


class CaseQuerySet(models.QuerySet):
    def for_member(self, user, case_roles):
        """Cases on whose team ``user`` is in one of ``case_roles``. Only consent.services
        should call this: the access policy decides which roles count and what a member may
        then see."""
        return self.filter(members__user=user, members__permission__codename__in=case_roles)

    def open(self):
        return self.filter(status=CaseStatus.OPEN)

from django.db import models

from .constants import CaseStatus


class CaseQuerySet(models.QuerySet):
    def for_member(self, user):
        """Cases on whose team ``user`` is. Only consent.services should call this: the
        access policy decides what a member may then see."""
        return self.filter(members__user=user)

    def open(self):
        return self.filter(status=CaseStatus.OPEN)

from django.db import models

from .constants import CaseStatus


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

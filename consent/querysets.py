from django.db import models
from django.utils import timezone


class ConsentQuerySet(models.QuerySet):
    def active(self, today=None):
        """In its period, not withdrawn and not superseded. Computed on every request, so a
        withdrawal or expiry takes effect on the very next one."""
        today = today or timezone.localdate()
        return self.filter(
            valid_from__lte=today,
            valid_until__gte=today,
            withdrawal__isnull=True,
            superseded_by__isnull=True,
        )

    def update(self, **kwargs):
        raise ValueError("Een toestemming wordt nooit gewijzigd; leg een nieuwe vast.")

    def delete(self):
        raise ValueError("Een toestemming wordt nooit verwijderd.")


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError("Het inzagelog is alleen aan te vullen, niet te wijzigen.")

    def delete(self):
        raise ValueError("Het inzagelog is alleen aan te vullen, niet te verwijderen.")

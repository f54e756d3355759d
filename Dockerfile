# Werkpad: one image for web (gunicorn), worker and beat (Celery). See docker-compose.yml.
FROM python:3.11-slim

# WeasyPrint needs Pango; DejaVu gives PDFs a font with all Dutch characters.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# The code runs from /app: templates/, static/ and locale/ live next to the apps.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    PRIVATE_MEDIA_ROOT=/data/private

WORKDIR /app
COPY . /app
# Installs the pinned dependencies from pyproject.toml.
RUN pip install .

# Static files are collected once, at build time, so the hashed manifest is part of the
# image. Settings refuse to load without SECRET_KEY outside demo/test mode, and demo/test
# mode would collect without the manifest. So this one RUN line gets a throwaway key: it
# signs nothing, is not stored in the image (no ENV), and every container must bring its
# own SECRET_KEY from the environment.
RUN SECRET_KEY=build-only-collectstatic python manage.py collectstatic --no-input

RUN useradd --system --no-create-home --home-dir /app werkpad \
    && mkdir -p /data/private \
    && chown werkpad /data/private
USER werkpad

EXPOSE 8000
# No control socket: the unprivileged user has no writable home for it.
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--no-control-socket", "--access-logfile", "-"]

# Kaizen Desk: the HTTP API under gunicorn (`kaizen serve`); the same image runs `kaizen worker`.
# Build: docker build -t kaizen-desk .   Run: see compose.yaml (PostgreSQL, web, worker).

# -- build: a wheel of the project, so the runtime image holds no source tree or build tools --
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# -- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KAIZEN_DATABASE_URL=sqlite:////data/kaizen.db

# SLA calendars need the IANA time-zone database; slim images do not always ship it.
# Unpinned on purpose: the distribution's current tzdata is the one with this year's rule changes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric id, so volumes and Kubernetes' runAsNonRoot agree with the image on who owns /data.
RUN groupadd --system --gid 10001 kaizen \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /home/kaizen --create-home \
       --shell /usr/sbin/nologin kaizen \
    && mkdir /data \
    && chown 10001:10001 /data

COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels

USER 10001:10001
WORKDIR /home/kaizen
VOLUME ["/data"]
EXPOSE 8000

# No curl in slim images: the interpreter checks /healthz itself. It probes port 8000, so keep the
# server on 8000 inside the container and map another port outside if needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

ENTRYPOINT ["kaizen"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

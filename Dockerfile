# vbsp-bot: the HTTP webhook server plus the scheduler (`vbsp-bot serve`).
#
#   docker build -t vbsp-bot .
#   docker run --rm -p 8080:8080 -v vbsp-data:/data --env-file .env vbsp-bot
#
# Without DATABASE_URL the bot keeps its SQLite file in the /data volume; with PostgreSQL
# (see docker-compose.yml) run `vbsp-bot db upgrade` once before the server starts.

# --- build: install the project into a virtualenv, leaving the source tree behind ---
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /src
COPY . .
# The README's install, without -e and without the dev extra. Every dependency ships a
# manylinux wheel for CPython 3.11, so no compiler is needed.
RUN pip install --no-cache-dir .

# --- runtime: the virtualenv only, run by an unprivileged user ---
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/opt/venv/bin:$PATH" \
    DATABASE_URL=sqlite+aiosqlite:////data/vbsp-bot.db

RUN groupadd --system --gid 10001 vbsp \
    && useradd --system --no-log-init --uid 10001 --gid vbsp \
        --home-dir /app --shell /usr/sbin/nologin vbsp \
    && mkdir -p /app /data \
    && chown vbsp:vbsp /app /data

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
VOLUME ["/data"]
USER 10001:10001

EXPOSE 8080

# 200 from /healthz means the server and the database answer; urlopen raises on 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)"]

CMD ["vbsp-bot", "serve", "--host", "0.0.0.0", "--port", "8080"]

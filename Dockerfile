# vbsp-bot: the HTTP webhook server plus the scheduler (`vbsp-bot serve`).
#
#   docker build -t vbsp-bot .
#   docker run --rm -p 8080:8080 -v vbsp-data:/data --env-file .env vbsp-bot
#   docker run --rm -e PORT=9000 -p 9000:9000 ... vbsp-bot     # another port
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
# The dependencies first, in a layer of their own read from pyproject.toml alone: a change to
# the code or a content file reuses it instead of reinstalling every dependency. Every
# dependency ships a manylinux wheel for CPython 3.11, so no compiler is needed.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt
# Then the project itself: the README's install, without -e, the dev extra or (already there)
# its dependencies.
COPY . .
RUN pip install --no-cache-dir --no-deps .

# --- runtime: the virtualenv only, run by an unprivileged user ---
FROM python:3.11-slim-bookworm

# PORT is the one port the server listens on and the healthcheck asks (`-e PORT=9000`).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/opt/venv/bin:$PATH" \
    DATABASE_URL=sqlite+aiosqlite:////data/vbsp-bot.db \
    PORT=8080

RUN groupadd --system --gid 10001 vbsp \
    && useradd --system --no-log-init --uid 10001 --gid vbsp \
        --home-dir /app --shell /usr/sbin/nologin vbsp \
    && mkdir -p /app /data \
    && chown vbsp:vbsp /app /data

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
VOLUME ["/data"]
USER 10001:10001

EXPOSE $PORT

# 200 from /healthz means the server and the database answer; urlopen raises on 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/healthz' % os.environ['PORT'], timeout=3)"]

# A shell only to read PORT; `exec` leaves vbsp-bot as PID 1, so it gets SIGTERM itself.
CMD ["sh", "-c", "exec vbsp-bot serve --host 0.0.0.0 --port \"$PORT\""]

# Junction: `junction serve` by default; `junction worker` and `junction migrate` with the
# same image. Everything is installed at build time from this repository's own files and
# the locked dependencies (uv.lock); nothing is downloaded when a container starts.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable --compile-bytecode

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin junction \
    && mkdir -p /data && chown junction:junction /data
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    JUNCTION_HOST=0.0.0.0 \
    JUNCTION_PORT=8000 \
    JUNCTION_DATA_DIR=/data
# The SQLite database and (in development) the keyring live here: back it up.
VOLUME ["/data"]
USER junction
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('JUNCTION_PORT', '8000') + '/healthz', timeout=4)"]
CMD ["junction", "serve"]

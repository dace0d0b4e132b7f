# The same package `make demo` installs, served against Neo4j by docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY graph ./graph
COPY ingest ./ingest
COPY analytics ./analytics
RUN pip install . && useradd --create-home --uid 10001 scrm && mkdir -p /data \
    && chown scrm /data
USER scrm
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["scrm", "serve", "--host", "0.0.0.0", "--port", "8000"]

# Image for the compose deployment: the API, migrations and (later) the notification worker.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir "uv==0.13.8" && uv pip sync --system --require-hashes requirements.lock
COPY . .
RUN uv pip install --system --no-deps .
RUN useradd --system --uid 10001 spotcheck && mkdir -p /var/lib/spotcheck/media \
    && chown -R spotcheck /var/lib/spotcheck
USER spotcheck
EXPOSE 8000
CMD ["spotcheck", "serve", "--host", "0.0.0.0", "--port", "8000"]

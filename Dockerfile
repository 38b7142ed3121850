# castline: Python, ffmpeg and the project, serving its Prefect deployments.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg procps \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY castline ./castline
COPY flows ./flows
COPY shows ./shows
RUN pip install --no-cache-dir '.[audio]' prefect-redis

RUN useradd --create-home castline && mkdir -p /app/data && chown -R castline /app
USER castline
CMD ["python", "-m", "flows.serve"]

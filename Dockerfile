# The image used by docker-compose.yml: the app, the worker and the Prefect server.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY intake intake
COPY retrieval retrieval
COPY flows flows
COPY prompts prompts
# Point PIP_EXTRA_INDEX_URL at PyTorch's CPU wheel index to keep the image small (no CUDA).
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install --upgrade "pip>=25" && pip install .
USER nobody
EXPOSE 8000
CMD ["beredning", "serve", "--host", "0.0.0.0"]

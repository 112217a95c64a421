# Self-contained runner image: the harness and its locked dependencies installed into a Python
# base image. For machines that can pull from a registry:
#   deeplocalize image build --base python:3.11-slim
# (the build context is the repository root). Offline machines use hostenv.Dockerfile instead.
ARG BASE=python:3.11-slim
FROM ${BASE}
COPY pyproject.toml requirements.lock README.md /opt/deeplocalize/
COPY harness /opt/deeplocalize/harness
COPY localizer /opt/deeplocalize/localizer
COPY baselines /opt/deeplocalize/baselines
COPY reports /opt/deeplocalize/reports
RUN pip install --no-cache-dir -c /opt/deeplocalize/requirements.lock /opt/deeplocalize \
 && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin runner
LABEL deeplocalize.mode="self-contained"
USER 10001:10001
WORKDIR /tmp

# Offline runner image: an (almost) empty root file system whose programs come from the host,
# bind-mounted read-only at run time (system libraries, the Python installation, the project's
# virtual environment and code). Its base is made by `docker import` of a tiny root folder, so
# no registry is needed:
#   deeplocalize image build            (the default on machines without a registry)
ARG BASE=deeplocalize/rootfs:1
FROM ${BASE}
LABEL deeplocalize.mode="hostenv"
USER 65534:65534
WORKDIR /tmp

# syntax=docker/dockerfile:1
# LoraCluster silo image. CPU by default; the CUDA image is the same file built with
#   docker build --build-arg TORCH_BACKEND=cuda -t loracluster/silo:dev-cuda .
# (TorchSharp-cuda-linux carries its own CUDA libraries; the node only needs the NVIDIA driver and runtime.)
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG TORCH_BACKEND=cpu
WORKDIR /src
# Restore from the project files alone first so source edits do not invalidate the (large) libtorch restore layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Lora.Abstractions/Lora.Abstractions.csproj src/Lora.Abstractions/
COPY src/Lora.Training/Lora.Training.csproj src/Lora.Training/
COPY src/Lora.Grains/Lora.Grains.csproj src/Lora.Grains/
COPY src/Lora.Silo/Lora.Silo.csproj src/Lora.Silo/
RUN dotnet restore src/Lora.Silo/Lora.Silo.csproj -p:TorchBackend=$TORCH_BACKEND
COPY src/ src/
RUN dotnet publish src/Lora.Silo/Lora.Silo.csproj -c Release -o /app --no-restore \
        -p:TorchBackend=$TORCH_BACKEND -p:UseAppHost=false

# The default .NET 10 runtime images are Ubuntu 24.04, whose libstdc++ already satisfies libLibTorchSharp.so
# (the ELF patch in Lora.Training only matters on Debian 12 hosts).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
ARG TORCH_BACKEND=cpu
# curl only serves the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# The built-in base (3 MB) beside the binary, where BuiltinModel.DefaultPath looks: a silo without
# LORA_BASE_MODEL_PATH (docker-compose, a first `docker run`) serves it; real bases come from a /models volume.
COPY models/builtin-tiny/ ./models/builtin-tiny/
# /data holds file storage when LORA_STORAGE=files; /models is where weight volumes are mounted read-only.
RUN mkdir -p /data /models && chown "$APP_UID" /data
# Containers must listen on all interfaces for probes, Prometheus and port mappings to reach /health and /metrics.
ENV LORA_HTTP_HOST=0.0.0.0 \
    LORA_DATA_DIR=/data
LABEL org.opencontainers.image.title="LoraCluster silo" \
      io.loracluster.torch-backend="${TORCH_BACKEND}"
EXPOSE 11111 30000 8080
VOLUME ["/data"]
# The base image defines APP_UID (1654, user "app"); never run the silo as root.
USER $APP_UID
# Shell form so a LORA_HTTP_PORT override is honoured; start-period covers loading the base model.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${LORA_HTTP_PORT:-8080}/health" || exit 1
ENTRYPOINT ["dotnet", "Lora.Silo.dll"]

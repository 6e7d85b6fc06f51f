# The image of every platform service, from one Dockerfile: the service is a build argument (its folder under services/).
#
#   docker build --build-arg SERVICE=Gateway -t platform-gateway .      (likewise Scheduler, ModelStore, Worker, Serving)
#
# `make images` builds them all (deploy/images/build.sh). The base images are arguments with the official .NET images
# as defaults; machines that cannot pull build on local stand-ins instead (deploy/images/local/build.sh).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Build settings and the sources the services compile from (.dockerignore keeps bin/, obj/, tests and data out).
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY services/ services/
# Every project under services/ at once, before SERVICE is known: the layer is the same for every image, so building
# all of them restores and compiles once (a new service is picked up without a change here).
RUN for project in services/*/Platform.*.csproj; do \
      dotnet build "$project" -c Release -p:UseAppHost=false -nologo -v quiet -clp:ErrorsOnly || exit 1; \
    done
ARG SERVICE
RUN test -n "$SERVICE" || { echo "--build-arg SERVICE=<folder under services/> is required, e.g. Gateway" >&2; exit 1; }
RUN dotnet publish "services/$SERVICE/Platform.$SERVICE.csproj" -c Release --no-build -o /app -p:UseAppHost=false

FROM ${RUNTIME_IMAGE} AS final
ARG SERVICE
# LightGBM (native, in the worker) needs the OpenMP runtime, which the .NET base images lack.
USER root
RUN if [ "$SERVICE" = Worker ] && ! ldconfig -p | grep -q libgomp.so.1; then \
      apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*; \
    fi
# The model store's blob folder: an image folder the app user owns, so a volume mounted on it (docker compose's
# named volume, Docker copies the owner) is writable; on Kubernetes the chart's fsGroup does the same.
RUN if [ "$SERVICE" = ModelStore ]; then mkdir -p /data/blobs && chown -R "$APP_UID:$APP_UID" /data; fi
ENV BlobStore__Root=/data/blobs
WORKDIR /app
COPY --from=build /app .
# The service binds its own ports: gRPC (HTTP/2) 8080, health (HTTP/1.1) 8081, and on the model store and the gateway
# the byte stream (HTTP/1.1) 8082. Probes need no tool in the image: the kubelet calls /health/* itself.
ENV ASPNETCORE_HTTP_PORTS= \
    PLATFORM_SERVICE=$SERVICE
EXPOSE 8080 8081 8082
# The base image's non-root user (UID 1654); the chart runs it with a read-only root filesystem and /tmp on an emptyDir.
USER $APP_UID
# The service's assembly, chosen at build time; arguments (e.g. `migrate`) are passed on.
ENTRYPOINT ["/bin/sh", "-c", "exec dotnet \"Platform.$PLATFORM_SERVICE.dll\" \"$@\"", "--"]

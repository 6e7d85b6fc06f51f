# Stand-in for mcr.microsoft.com/dotnet/aspnet:10.0 built from this machine's .NET runtime (see ../build.sh).
ARG BASE
FROM ${BASE}
COPY dotnet /usr/share/dotnet/dotnet
COPY host /usr/share/dotnet/host
COPY shared /usr/share/dotnet/shared
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --create-home --shell /bin/false app
# As the official image: the non-root user's UID for `USER $APP_UID`, the default port, the container flag.
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true

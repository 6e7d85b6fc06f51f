# Stand-in for mcr.microsoft.com/dotnet/sdk:10.0 built from this machine's whole .NET install (see ../build.sh).
# The CA bundle is this machine's, so that `dotnet restore` reaches NuGet the way the host does.
ARG RUNTIME
FROM ${RUNTIME}
COPY sdk /usr/share/dotnet/sdk
COPY sdk-manifests /usr/share/dotnet/sdk-manifests
COPY packs /usr/share/dotnet/packs
COPY templates /usr/share/dotnet/templates
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    NUGET_XMLDOC_MODE=skip

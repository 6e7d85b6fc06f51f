using Platform.ServiceDefaults.Security;
using Platform.Transfers;

namespace Platform.Worker.ModelStore;

/// <summary>
/// The model store's byte stream (plain HTTP/1.1, docs/registry.md "Byte stream"), when <c>Services:ModelStoreTransfers</c>
/// names it: the worker then downloads data sets and uploads artifacts there, at a fraction of the CPU gRPC streaming
/// costs, and keeps gRPC for the metadata and the registration. Without it every byte goes over gRPC.
/// </summary>
public sealed class ModelStoreByteStream(HttpClient? http)
{
    /// <summary>The configuration key of the store's transfers address (for example <c>http://model-store:8082</c>).</summary>
    public const string AddressKey = "Services:ModelStoreTransfers";

    /// <summary>A client acting for <paramref name="tenantId"/>, or null when the byte stream is not configured.</summary>
    public ByteStreamClient? For(string tenantId) => http is null ? null : new ByteStreamClient(http, tenantId);

    /// <summary>From configuration: a client of <see cref="AddressKey"/> when it is set.</summary>
    public static ModelStoreByteStream From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration[AddressKey] is { Length: > 0 } address
            // No per-request deadline: a data set or artifact takes as long as its size needs; cancellation ends it.
            // Every request carries the service credential: the store's byte stream answers internal callers only.
            ? new ModelStoreByteStream(new HttpClient(ServiceCredential.Handler(configuration[ServiceCredential.TokenKey]
                                                                                ?? throw new InvalidOperationException(ServiceCredential.MissingMessage), new SocketsHttpHandler()))
            {
                BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan,
            })
            : new ModelStoreByteStream(null);
    }
}

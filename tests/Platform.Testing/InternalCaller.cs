using Grpc.Net.Client;
using Platform.ServiceDefaults.Security;

namespace Platform.Testing;

/// <summary>
/// Tests that call a backend (scheduler, model store) directly do so as another platform service would: with the
/// service credential. Hosts under test get <see cref="Token"/> as <c>Authentication:ServiceToken</c>.
/// </summary>
public static class InternalCaller
{
    /// <summary>The shared secret of test platforms (never used outside tests).</summary>
    public const string Token = "test-service-token-0123456789abcdef0123456789";

    /// <summary>Configuration that gives a host the test credential (environment-variable form for processes).</summary>
    public static KeyValuePair<string, string> EnvironmentSetting => new("Authentication__ServiceToken", Token);

    /// <summary>A gRPC channel that sends the credential on every call.</summary>
    public static GrpcChannel Channel(Uri address, GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        options.HttpHandler = ServiceCredential.Handler(Token, options.HttpHandler ?? new SocketsHttpHandler { EnableMultipleHttp2Connections = true });
        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>An HTTP client (the byte stream) that sends the credential on every request.</summary>
    public static HttpClient HttpClient(Uri address) =>
        new(ServiceCredential.Handler(Token, new SocketsHttpHandler())) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
}

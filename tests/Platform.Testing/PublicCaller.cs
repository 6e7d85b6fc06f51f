using System.Net.Http.Headers;
using Grpc.Net.Client;

namespace Platform.Testing;

/// <summary>A client of the public API as a user's program is one: an API key (or token) in <c>authorization: Bearer …</c>.</summary>
public static class PublicCaller
{
    /// <summary>A gRPC channel to the gateway that sends <paramref name="credential"/> on every call.</summary>
    public static GrpcChannel Channel(Uri address, string credential, GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        options.MaxReceiveMessageSize ??= 8 * 1024 * 1024;
        options.HttpHandler = new BearerHandler(credential) { InnerHandler = options.HttpHandler ?? new SocketsHttpHandler() };
        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>An HTTP client of the gateway's byte stream that sends <paramref name="credential"/>.</summary>
    public static HttpClient HttpClient(Uri address, string credential)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return http;
    }

    private sealed class BearerHandler(string credential) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

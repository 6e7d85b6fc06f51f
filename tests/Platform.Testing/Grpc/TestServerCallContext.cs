using Grpc.Core;

namespace Platform.Testing.Grpc;

/// <summary>
/// A <see cref="ServerCallContext"/> for calling gRPC service classes directly in unit tests:
/// request headers to fill in, a cancellation the test triggers, and the response headers, trailers and status
/// the service set, to assert on.
/// </summary>
/// <example>
/// <code>
/// var context = TestServerCallContext.ForTenant("acme");
/// var reply = await service.GetJob(new GetJobRequest { JobId = id }, context);
/// </code>
/// </example>
public sealed class TestServerCallContext : ServerCallContext, IDisposable
{
    /// <summary>The header that carries the tenant (see docs/architecture.md, Tenancy).</summary>
    public const string TenantHeader = "x-tenant-id";

    private readonly Metadata _requestHeaders;
    private readonly Metadata _responseTrailers = [];
    private readonly CancellationTokenSource _cancellation;
    private readonly AuthContext _authContext = new(null, new Dictionary<string, List<AuthProperty>>());
    private Status _status;
    private WriteOptions? _writeOptions;

    /// <summary>Creates a context for one call.</summary>
    /// <param name="requestHeaders">Headers the client sent; the instance is used as is, so a test may add to it later.</param>
    /// <param name="deadline">The client's deadline (UTC); none by default.</param>
    /// <param name="method">Full method name the service sees in <see cref="ServerCallContext.Method"/>.</param>
    /// <param name="cancellationToken">Cancels the call along with <see cref="Cancel"/> (e.g. a test timeout).</param>
    public TestServerCallContext(
        Metadata? requestHeaders = null,
        DateTime? deadline = null,
        string method = "/test.v1.TestService/Call",
        CancellationToken cancellationToken = default)
    {
        _requestHeaders = requestHeaders ?? [];
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        DeadlineCore = deadline ?? DateTime.MaxValue;
        MethodCore = method;
    }

    /// <summary>A context whose caller acts for <paramref name="tenantId"/> (header <c>x-tenant-id</c>).</summary>
    public static TestServerCallContext ForTenant(string tenantId, CancellationToken cancellationToken = default) =>
        new(new Metadata { { TenantHeader, tenantId } }, cancellationToken: cancellationToken);

    /// <summary>Headers the service sent with <see cref="ServerCallContext.WriteResponseHeadersAsync"/>; <c>null</c> if none.</summary>
    public Metadata? ResponseHeaders { get; private set; }

    /// <summary>Cancels the call, as a client that goes away or a passed deadline would.</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <inheritdoc />
    public void Dispose() => _cancellation.Dispose();

    /// <inheritdoc />
    protected override string MethodCore { get; }

    /// <inheritdoc />
    protected override string HostCore => "localhost";

    /// <inheritdoc />
    protected override string PeerCore => "ipv4:127.0.0.1:50000";

    /// <inheritdoc />
    protected override DateTime DeadlineCore { get; }

    /// <inheritdoc />
    protected override Metadata RequestHeadersCore => _requestHeaders;

    /// <inheritdoc />
    protected override CancellationToken CancellationTokenCore => _cancellation.Token;

    /// <inheritdoc />
    protected override Metadata ResponseTrailersCore => _responseTrailers;

    /// <inheritdoc />
    protected override Status StatusCore { get => _status; set => _status = value; }

    /// <inheritdoc />
    protected override WriteOptions? WriteOptionsCore { get => _writeOptions; set => _writeOptions = value; }

    /// <inheritdoc />
    protected override AuthContext AuthContextCore => _authContext;

    /// <inheritdoc />
    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Context propagation needs a real gRPC server.");

    /// <inheritdoc />
    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders)
    {
        // Real servers allow this once, before the first message.
        if (ResponseHeaders is not null)
            throw new InvalidOperationException("Response headers can only be sent once per call.");
        ResponseHeaders = responseHeaders;
        return Task.CompletedTask;
    }
}

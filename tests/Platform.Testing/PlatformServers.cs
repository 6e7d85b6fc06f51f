using DotNet.Testcontainers.Builders;
using Platform.Testing.Servers;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// Real PostgreSQL and RabbitMQ for integration tests. Each test gets its own empty database and virtual host,
/// so tests never see each other's rows, queues or messages and can run against long-lived shared servers.
/// </summary>
/// <remarks>
/// Where the servers come from, in order:
/// <list type="number">
/// <item>the servers named by <c>PLATFORM_TEST_POSTGRES</c>, <c>PLATFORM_TEST_RABBITMQ</c> and
/// <c>PLATFORM_TEST_RABBITMQ_MANAGEMENT</c>, which <c>make test</c> sets after starting local servers
/// (<c>deploy/local/test-servers.sh</c>);</item>
/// <item>containers started by Testcontainers, when a Docker engine is reachable;</item>
/// <item>otherwise <see cref="InitializeAsync"/> fails and says what to run or install: integration tests never skip quietly.</item>
/// </list>
/// Share one instance per test collection:
/// <code>
/// [CollectionDefinition(nameof(ServersCollection))]
/// public sealed class ServersCollection : ICollectionFixture&lt;PlatformServers&gt;;
/// </code>
/// Databases and virtual hosts created through an instance are dropped when it is disposed.
/// </remarks>
public sealed class PlatformServers : IAsyncLifetime
{
    /// <summary>Environment variable holding the admin Npgsql connection string of a running PostgreSQL.</summary>
    public const string PostgresVariable = "PLATFORM_TEST_POSTGRES";

    /// <summary>Environment variable holding the amqp:// URI of a running RabbitMQ (user with rights to create virtual hosts).</summary>
    public const string RabbitMqVariable = "PLATFORM_TEST_RABBITMQ";

    /// <summary>Environment variable holding the http:// URI (with credentials) of that RabbitMQ's management API.</summary>
    public const string RabbitMqManagementVariable = "PLATFORM_TEST_RABBITMQ_MANAGEMENT";

    /// <summary>Environment variable holding the Erlang node name of a local broker, for tests that stop and start it.</summary>
    public const string RabbitMqNodeVariable = "PLATFORM_TEST_RABBITMQ_NODE";

    private readonly Func<string, string?> _environment;
    private readonly Func<CancellationToken, Task<ContainerServers>> _startContainers;
    private PostgresServer? _postgres;
    private RabbitMqServer? _rabbitMq;
    private ContainerServers? _containers;

    /// <summary>Uses the process environment and, failing that, Testcontainers.</summary>
    public PlatformServers()
        : this(Environment.GetEnvironmentVariable, ContainerServers.StartAsync)
    {
    }

    /// <summary>
    /// Uses the servers named by <paramref name="variables"/> (the same names as the environment variables), never
    /// containers: for a suite with servers of its own, e.g. the fault suite's dedicated pair.
    /// </summary>
    /// <remarks>A factory, not a constructor: xUnit requires a collection fixture to have one public constructor.</remarks>
    public static PlatformServers FromVariables(IReadOnlyDictionary<string, string> variables) =>
        new(name => variables.GetValueOrDefault(name), _ => throw new InvalidOperationException(
            $"{PostgresVariable}, {RabbitMqVariable} and {RabbitMqManagementVariable} must all be given."));

    internal PlatformServers(Func<string, string?> environment, Func<CancellationToken, Task<ContainerServers>> startContainers)
    {
        _environment = environment;
        _startContainers = startContainers;
    }

    /// <summary>
    /// Erlang node name of the broker when it is a local node started by <c>deploy/local/test-servers.sh</c>
    /// (for fault tests that run <c>rabbitmqctl -n NODE stop_app</c>); <c>null</c> for a container or remote broker.
    /// </summary>
    public string? RabbitMqNodeName { get; private set; }

    /// <summary>Admin connection string of the PostgreSQL server (database <c>postgres</c>); prefer <see cref="CreateDatabaseAsync"/>.</summary>
    public string PostgresAdminConnectionString => Postgres.AdminConnectionString;

    /// <summary>
    /// The broker's management HTTP API, credentials in the URI (e.g. to inspect queues and consumers in a test);
    /// prefer <see cref="CreateVirtualHostAsync"/> for isolation.
    /// </summary>
    public Uri RabbitMqManagementUri => RabbitMq.ManagementUri;

    private PostgresServer Postgres => _postgres ?? throw NotInitialized();

    private RabbitMqServer RabbitMq => _rabbitMq ?? throw NotInitialized();

    /// <summary>Finds or starts the servers and checks that both answer.</summary>
    public async Task InitializeAsync()
    {
        var postgres = _environment(PostgresVariable);
        var rabbitMq = _environment(RabbitMqVariable);
        var management = _environment(RabbitMqManagementVariable);

        if (!string.IsNullOrWhiteSpace(postgres) || !string.IsNullOrWhiteSpace(rabbitMq) || !string.IsNullOrWhiteSpace(management))
        {
            var missing = new[] { (PostgresVariable, postgres), (RabbitMqVariable, rabbitMq), (RabbitMqManagementVariable, management) }
                .Where(v => string.IsNullOrWhiteSpace(v.Item2)).Select(v => v.Item1).ToList();
            if (missing.Count > 0)
                throw new InvalidOperationException(
                    $"Integration test servers are only partly configured: {string.Join(", ", missing)} not set. " +
                    $"Set all of {PostgresVariable}, {RabbitMqVariable} and {RabbitMqManagementVariable}, e.g. with " +
                    "eval \"$(bash deploy/local/test-servers.sh env)\", or none of them to use Docker.");
            _postgres = new PostgresServer(postgres!, $"the server named by {PostgresVariable}");
            _rabbitMq = new RabbitMqServer(ParseUri(RabbitMqVariable, rabbitMq!), ParseUri(RabbitMqManagementVariable, management!),
                $"the broker named by {RabbitMqVariable}/{RabbitMqManagementVariable}");
            var node = _environment(RabbitMqNodeVariable);
            RabbitMqNodeName = string.IsNullOrWhiteSpace(node) ? null : node;
        }
        else
        {
            try
            {
                _containers = await _startContainers(CancellationToken.None);
            }
            catch (DockerUnavailableException e)
            {
                throw new InvalidOperationException(
                    "Integration tests need PostgreSQL and RabbitMQ, and none were found: " +
                    $"{PostgresVariable}, {RabbitMqVariable} and {RabbitMqManagementVariable} are not set and no Docker engine is reachable. " +
                    "Run `make test` (it starts local PostgreSQL and RabbitMQ servers and sets those variables), " +
                    "or start them once with `bash deploy/local/test-servers.sh start && eval \"$(bash deploy/local/test-servers.sh env)\"`, " +
                    "or install Docker so that Testcontainers can start them.", e);
            }

            _postgres = new PostgresServer(_containers.PostgresAdminConnectionString, "the PostgreSQL container");
            _rabbitMq = new RabbitMqServer(_containers.AmqpUri, _containers.ManagementUri, "the RabbitMQ container");
        }

        await Task.WhenAll(_postgres.CheckAsync(), _rabbitMq.CheckAsync());
    }

    /// <summary>
    /// Creates a new, empty PostgreSQL database and returns an Npgsql connection string to it.
    /// </summary>
    /// <param name="prefix">Readable start of the database name (e.g. the test class); a unique suffix is added.</param>
    public Task<string> CreateDatabaseAsync(string prefix) => Postgres.CreateDatabaseAsync(prefix);

    /// <summary>
    /// Creates a new RabbitMQ virtual host, grants the broker user full rights on it and returns its amqp:// URI
    /// (credentials included), ready for <c>ConnectionStrings:RabbitMq</c>.
    /// </summary>
    /// <param name="prefix">Readable start of the virtual host name; a unique suffix is added.</param>
    public Task<string> CreateVirtualHostAsync(string prefix) => RabbitMq.CreateVirtualHostAsync(prefix);

    /// <summary>Drops pooled PostgreSQL connections, for a test that has just restarted the server.</summary>
    public void ClearPostgresPools() => Postgres.ClearPools();

    /// <summary>Drops what this instance created and stops any containers it started.</summary>
    public async Task DisposeAsync()
    {
        if (_rabbitMq is not null)
            await _rabbitMq.DisposeAsync();
        if (_postgres is not null)
            await _postgres.DisposeAsync();
        if (_containers is not null)
            await _containers.DisposeAsync();
    }

    private static Uri ParseUri(string variable, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException($"{variable} is not an absolute URI: '{value}'.");

    private static InvalidOperationException NotInitialized() =>
        new($"{nameof(PlatformServers)} is not initialised: use it as an xunit class or collection fixture, or await InitializeAsync() first.");
}

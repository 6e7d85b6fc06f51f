using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Platform.Testing.Servers;

/// <summary>
/// PostgreSQL and RabbitMQ in throw-away containers, for machines with a Docker engine. The images are the official
/// ones unless <c>PLATFORM_TEST_POSTGRES_IMAGE</c> / <c>PLATFORM_TEST_RABBITMQ_IMAGE</c> name others with the same
/// environment (POSTGRES_USER, RABBITMQ_DEFAULT_USER, ...), e.g. the locally built ones CI uses
/// (deploy/images/local/build.sh).
/// </summary>
internal sealed class ContainerServers : IAsyncDisposable
{
    /// <summary>Environment variable naming the PostgreSQL image.</summary>
    public const string PostgresImageVariable = "PLATFORM_TEST_POSTGRES_IMAGE";

    /// <summary>Environment variable naming the RabbitMQ image (with the management plugin).</summary>
    public const string RabbitMqImageVariable = "PLATFORM_TEST_RABBITMQ_IMAGE";

    private const string DefaultPostgresImage = "postgres:15-alpine";
    private const string DefaultRabbitMqImage = "rabbitmq:3.13-management";

    private const ushort ManagementPort = 15672;
    private const string User = "platform";
    private const string Password = "platform";

    private readonly PostgreSqlContainer _postgres;
    private readonly RabbitMqContainer _rabbitMq;

    private ContainerServers(PostgreSqlContainer postgres, RabbitMqContainer rabbitMq)
    {
        _postgres = postgres;
        _rabbitMq = rabbitMq;
    }

    public string PostgresAdminConnectionString => _postgres.GetConnectionString();

    public Uri AmqpUri => new(_rabbitMq.GetConnectionString());

    public Uri ManagementUri =>
        new UriBuilder("http", _rabbitMq.Hostname, _rabbitMq.GetMappedPublicPort(ManagementPort)) { UserName = User, Password = Password }.Uri;

    /// <summary>Starts both containers; throws <c>DockerUnavailableException</c> when there is no Docker engine.</summary>
    public static async Task<ContainerServers> StartAsync(CancellationToken cancellationToken)
    {
        // Build() is where Testcontainers looks for a Docker engine.
        var postgres = new PostgreSqlBuilder(ImageFrom(PostgresImageVariable, DefaultPostgresImage))
            .WithCommand("-c", "max_connections=400", "-c", "fsync=off")
            .Build();
        // The production broker line (3.x) with the management plugin, which creates the virtual hosts.
        var rabbitMq = new RabbitMqBuilder(ImageFrom(RabbitMqImageVariable, DefaultRabbitMqImage))
            .WithUsername(User)
            .WithPassword(Password)
            .WithPortBinding(ManagementPort, true)
            .Build();
        var servers = new ContainerServers(postgres, rabbitMq);
        try
        {
            await Task.WhenAll(postgres.StartAsync(cancellationToken), rabbitMq.StartAsync(cancellationToken));
            return servers;
        }
        catch
        {
            await servers.DisposeAsync();
            throw;
        }
    }

    private static string ImageFrom(string variable, string fallback) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } image ? image : fallback;

    public async ValueTask DisposeAsync()
    {
        await _rabbitMq.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

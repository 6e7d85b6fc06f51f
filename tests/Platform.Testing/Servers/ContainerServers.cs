using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Platform.Testing.Servers;

/// <summary>PostgreSQL and RabbitMQ in throw-away containers, for machines with a Docker engine.</summary>
internal sealed class ContainerServers : IAsyncDisposable
{
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
        var postgres = new PostgreSqlBuilder("postgres:15-alpine")
            .WithCommand("-c", "max_connections=400", "-c", "fsync=off")
            .Build();
        // The production broker line (3.x) with the management plugin, which creates the virtual hosts.
        var rabbitMq = new RabbitMqBuilder("rabbitmq:3.13-management")
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

    public async ValueTask DisposeAsync()
    {
        await _rabbitMq.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Testing.Tests;

[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class PlatformServersTests(PlatformServers servers)
{
    [Fact]
    public async Task Each_database_is_new_empty_and_writable()
    {
        var first = await servers.CreateDatabaseAsync("Jobs Repository");
        var second = await servers.CreateDatabaseAsync("Jobs Repository");

        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "CREATE TABLE training_jobs (id int PRIMARY KEY); INSERT INTO training_jobs VALUES (1); SELECT count(*) FROM training_jobs", connection);
            Assert.Equal(1L, await command.ExecuteScalarAsync());
        }

        await using (var connection = new NpgsqlConnection(second))
        {
            await connection.OpenAsync();
            Assert.StartsWith("jobs_repository_", connection.Database);
            await using var command = new NpgsqlCommand("SELECT to_regclass('public.training_jobs') IS NULL", connection);
            Assert.Equal(true, await command.ExecuteScalarAsync());
        }

        Assert.NotEqual(new NpgsqlConnectionStringBuilder(first).Database, new NpgsqlConnectionStringBuilder(second).Database);
    }

    [Fact]
    public async Task Each_virtual_host_carries_messages_and_sees_no_other()
    {
        var first = await servers.CreateVirtualHostAsync("Scheduler.Tests");
        var second = await servers.CreateVirtualHostAsync("Scheduler.Tests");
        Assert.StartsWith("/scheduler-tests-", new Uri(first).AbsolutePath);

        await using (var connection = await new ConnectionFactory { Uri = new Uri(first) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("train-model", durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", "train-model", "job 42"u8.ToArray());
            var delivery = await GetAsync(channel, "train-model");
            Assert.Equal("job 42", Encoding.UTF8.GetString(delivery.Body.Span));
        }

        await using (var connection = await new ConnectionFactory { Uri = new Uri(second) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync("train-model"));
        }
    }

    [Fact]
    public async Task Disposing_drops_the_databases_and_virtual_hosts_it_created()
    {
        string database, virtualHost;
        await using (var owner = new OwnedServers())
        {
            await owner.Servers.InitializeAsync();
            database = await owner.Servers.CreateDatabaseAsync("dropped");
            virtualHost = await owner.Servers.CreateVirtualHostAsync("dropped");
        }

        await using (var connection = new NpgsqlConnection(servers.PostgresAdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
            command.Parameters.AddWithValue("name", new NpgsqlConnectionStringBuilder(database).Database!);
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }

        using var management = ManagementClient();
        using var response = await management.GetAsync(new Uri("api/vhosts/" + new Uri(virtualHost).AbsolutePath.TrimStart('/'), UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    // Delivery to a queue is asynchronous to the publish: poll briefly for the message.
    private static async Task<BasicGetResult> GetAsync(IChannel channel, string queue)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
                return result;
            await Task.Delay(50);
        }

        throw new InvalidOperationException($"No message arrived on '{queue}'.");
    }

    private HttpClient ManagementClient()
    {
        var uri = servers.RabbitMqManagementUri;
        var client = new HttpClient { BaseAddress = new UriBuilder(uri) { UserName = "", Password = "" }.Uri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        return client;
    }

    private sealed class OwnedServers : IAsyncDisposable
    {
        public PlatformServers Servers { get; } = new();

        public async ValueTask DisposeAsync() => await Servers.DisposeAsync();
    }
}

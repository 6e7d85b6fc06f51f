using DotNet.Testcontainers.Builders;
using Platform.Testing.Servers;

namespace Platform.Testing.Tests;

public sealed class PlatformServersConfigurationTests
{
    [Fact]
    public async Task Without_servers_or_Docker_it_fails_saying_what_to_run()
    {
        var servers = new PlatformServers(_ => null, _ => throw new DockerUnavailableException("no Docker engine"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(servers.InitializeAsync);

        Assert.Contains("make test", error.Message);
        Assert.Contains("install Docker", error.Message);
    }

    [Fact]
    public async Task A_partial_configuration_names_the_missing_variables()
    {
        var environment = new Dictionary<string, string?> { [PlatformServers.PostgresVariable] = "Host=127.0.0.1;Port=1" };
        var servers = new PlatformServers(environment.GetValueOrDefault, StartNothing);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(servers.InitializeAsync);

        Assert.Contains($"{PlatformServers.RabbitMqVariable}, {PlatformServers.RabbitMqManagementVariable} not set", error.Message);
    }

    [Fact]
    public async Task Named_servers_that_do_not_answer_fail_with_their_address()
    {
        var environment = new Dictionary<string, string?>
        {
            [PlatformServers.PostgresVariable] = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=2",
            [PlatformServers.RabbitMqVariable] = "amqp://guest:guest@127.0.0.1:1/",
            [PlatformServers.RabbitMqManagementVariable] = "http://guest:guest@127.0.0.1:1/",
        };
        var servers = new PlatformServers(environment.GetValueOrDefault, StartNothing);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(servers.InitializeAsync);

        Assert.Contains("127.0.0.1", error.Message);
        Assert.Contains("test-servers.sh status", error.Message);
    }

    private static Task<ContainerServers> StartNothing(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("Configured servers must not start containers.");
}

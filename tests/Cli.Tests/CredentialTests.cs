namespace Platform.Cli.Tests;

/// <summary>Where platformctl takes its API key from: the option, else the environment, else the config file.</summary>
public sealed class CredentialTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"platformctl-{Guid.NewGuid():N}.json");

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        File.Delete(_config);
    }

    private Task<CliRun> Submit(Dictionary<string, string> environment, params string[] extra) =>
        CliRun.InvokeAsync(environment, ["jobs", "submit", "--dataset", "d", "--task", "binary", "--label", "y", "--trainer", "t", "-q", .. extra]);

    [Fact]
    public async Task The_option_wins_over_the_environment_which_wins_over_the_config_file()
    {
        await File.WriteAllTextAsync(_config, $$"""{ "gateway": "{{_gateway.Address}}", "apiKey": "plk_from_file", "tenant": "file-tenant" }""");
        var fileOnly = new Dictionary<string, string> { ["PLATFORM_CONFIG"] = _config };
        var withEnvironment = new Dictionary<string, string>(fileOnly) { ["PLATFORM_API_KEY"] = "plk_from_env" };

        await Submit(fileOnly);
        await Submit(withEnvironment);
        await Submit(withEnvironment, "--api-key", "plk_from_option");

        Assert.Equal(["Bearer plk_from_file", "Bearer plk_from_env", "Bearer plk_from_option"], _gateway.Log.Authorizations);
        Assert.Equal(["file-tenant", "file-tenant", "file-tenant"], _gateway.Log.Tenants);
    }

    [Fact]
    public async Task Without_any_key_no_credential_is_sent_and_a_broken_config_file_is_named()
    {
        var none = await Submit(new Dictionary<string, string> { ["PLATFORM_GATEWAY"] = _gateway.Address });
        await File.WriteAllTextAsync(_config, "{ not json");
        var broken = await Submit(new Dictionary<string, string> { ["PLATFORM_GATEWAY"] = _gateway.Address, ["PLATFORM_CONFIG"] = _config });

        Assert.Equal(0, none.ExitCode);
        Assert.Null(Assert.Single(_gateway.Log.Authorizations));
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains($"{_config} is not a valid platformctl config file", broken.Error, StringComparison.Ordinal);
    }
}

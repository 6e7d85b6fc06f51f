using Microsoft.Extensions.Options;

namespace Platform.Gateway.Tests;

/// <summary>A host that is not safe to run refuses to start, and says which setting to fix.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task A_host_without_the_service_credential_refuses_to_start_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            GrpcTestHost.StartGatewayAsync(new Uri("http://127.0.0.1:9"), new Uri("http://127.0.0.1:9"),
                new Dictionary<string, string?> { ["Authentication:ServiceToken"] = "" }));

        Assert.StartsWith("Authentication:ServiceToken is not set or shorter than 32 characters (environment variable Authentication__ServiceToken)",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_mode_on_an_address_other_than_loopback_refuses_to_start()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GrpcTestHost.StartGatewayAsync(new Uri("http://127.0.0.1:9"), new Uri("http://127.0.0.1:9"),
                new Dictionary<string, string?> { ["Platform:BindAddress"] = "0.0.0.0" }));

        Assert.StartsWith("Authentication:Open=true lets every caller act as an administrator, so it is only allowed when the platform listens on a loopback address",
            error.Message, StringComparison.Ordinal);
    }
}

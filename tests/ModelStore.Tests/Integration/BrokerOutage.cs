using System.Net.Http.Headers;
using System.Net.Http.Json;
using Platform.Testing;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// Makes the broker unreachable for one virtual host only, by deleting the virtual host (its connections are closed
/// and cannot come back), and restores it under the same name. Other tests on the shared broker are not affected.
/// </summary>
internal sealed class BrokerOutage : IDisposable
{
    private readonly HttpClient _management;
    private readonly string _virtualHost;
    private readonly string _user;

    public BrokerOutage(PlatformServers servers, string amqpUri)
    {
        var management = servers.RabbitMqManagementUri;
        var credentials = Uri.UnescapeDataString(management.UserInfo);
        _management = new HttpClient { BaseAddress = new UriBuilder(management) { UserName = "", Password = "", Path = "/" }.Uri };
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        var amqp = new Uri(amqpUri);
        _virtualHost = Uri.UnescapeDataString(amqp.AbsolutePath.TrimStart('/'));
        _user = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]);
    }

    /// <summary>Deletes the virtual host: everything connected to it loses its connection.</summary>
    public async Task BeginAsync()
    {
        using var response = await _management.DeleteAsync(new Uri($"api/vhosts/{Uri.EscapeDataString(_virtualHost)}", UriKind.Relative));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Creates the virtual host again (empty) with the same rights for the user.</summary>
    public async Task EndAsync()
    {
        var escaped = Uri.EscapeDataString(_virtualHost);
        using (var created = await _management.PutAsync(new Uri($"api/vhosts/{escaped}", UriKind.Relative), null))
            created.EnsureSuccessStatusCode();
        using var permissions = await _management.PutAsync(new Uri($"api/permissions/{escaped}/{Uri.EscapeDataString(_user)}", UriKind.Relative),
            JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" }));
        permissions.EnsureSuccessStatusCode();
    }

    public void Dispose() => _management.Dispose();
}

using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Platform.Testing.Servers;

/// <summary>
/// A RabbitMQ broker reached over AMQP and its management HTTP API; hands out fresh virtual hosts.
/// </summary>
internal sealed class RabbitMqServer : IAsyncDisposable
{
    private readonly Uri _amqp;
    private readonly string _user;
    private readonly HttpClient _management;
    private readonly string _description;
    private readonly ConcurrentQueue<string> _created = new();

    public RabbitMqServer(Uri amqp, Uri management, string description)
    {
        _amqp = amqp;
        ManagementUri = management;
        _description = description;
        _user = Credentials(amqp).User;

        // HttpClient ignores credentials in the URI: move them to a Basic header.
        var (user, password) = Credentials(management);
        _management = new HttpClient { BaseAddress = new UriBuilder(management) { UserName = "", Password = "", Path = "/" }.Uri };
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        _management.Timeout = TimeSpan.FromSeconds(30);
    }

    public Uri ManagementUri { get; }

    public async Task CheckAsync()
    {
        try
        {
            using var response = await _management.GetAsync(new Uri("api/overview", UriKind.Relative));
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new InvalidOperationException(
                $"Cannot reach the RabbitMQ management API at {_management.BaseAddress} ({_description}): {e.Message}. " +
                "Is the broker running with the rabbitmq_management plugin? Check with `bash deploy/local/test-servers.sh status`.", e);
        }
    }

    public async Task<string> CreateVirtualHostAsync(string prefix)
    {
        var name = UniqueName.For(prefix, 100, '-');
        var escaped = Uri.EscapeDataString(name);
        await SendAsync(HttpMethod.Put, $"api/vhosts/{escaped}", null);
        _created.Enqueue(name);
        await SendAsync(HttpMethod.Put, $"api/permissions/{escaped}/{Uri.EscapeDataString(_user)}",
            JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" }));
        return new UriBuilder(_amqp) { Path = "/" + escaped }.Uri.AbsoluteUri;
    }

    public async ValueTask DisposeAsync()
    {
        while (_created.TryDequeue(out var name))
        {
            try
            {
                using var response = await _management.DeleteAsync(new Uri($"api/vhosts/{Uri.EscapeDataString(name)}", UriKind.Relative));
            }
            catch (HttpRequestException)
            {
                // Best effort: an empty virtual host left behind costs nothing (names never repeat).
            }
        }

        _management.Dispose();
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        using var response = await _management.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException(
                $"RabbitMQ management API {method} {path} answered {(int)response.StatusCode} {response.ReasonPhrase}: " +
                await response.Content.ReadAsStringAsync());
    }

    private static (string User, string Password) Credentials(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
            return ("guest", "guest"); // RabbitMQ's default user, as AMQP clients assume too.
        var parts = uri.UserInfo.Split(':', 2);
        return (Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Platform.Contracts;
using RabbitMQ.Client;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>
/// A tenant's RabbitMQ user in the scheduler's virtual host, provisioned by <c>deploy/rabbitmq/provision-tenant.sh</c>
/// exactly as an operator would, and a plain AMQP client (RabbitMQ.Client, no MassTransit) connected as that user,
/// as a non-.NET system would be. Users live outside virtual hosts, so <see cref="DisposeAsync"/> deletes it.
/// </summary>
public sealed class AmqpTenant : IAsyncDisposable
{
    private readonly Uri _management;
    private readonly ConnectionFactory _factory;
    private IConnection? _connection;

    private AmqpTenant(string tenantId, string user, Uri amqp, Uri management)
    {
        TenantId = tenantId;
        User = user;
        _management = management;
        _factory = new ConnectionFactory { Uri = amqp };
    }

    public string TenantId { get; }

    /// <summary>The RabbitMQ user name, unique per test run.</summary>
    public string User { get; }

    /// <summary>The queue the script bound to the tenant's rejections.</summary>
    public string RejectionQueue => $"{TenantId}.training-job-rejected";

    /// <summary>A fresh user name for <paramref name="tenantId"/> (the scheduler's configuration needs it before provisioning).</summary>
    public static string NewUserName(string tenantId) => $"tenant-{tenantId}-{Guid.NewGuid():N}"[..^24];

    /// <summary>Runs the provisioning script for <paramref name="user"/> in the virtual host of <paramref name="virtualHostUri"/>.</summary>
    public static async Task<AmqpTenant> ProvisionAsync(PlatformServers servers, string virtualHostUri, string tenantId, string user)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var vhostUri = new Uri(virtualHostUri);
        var vhost = Uri.UnescapeDataString(vhostUri.AbsolutePath.TrimStart('/'));
        var password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var script = Path.Combine(ServiceProcess.RepositoryRoot(), "deploy", "rabbitmq", "provision-tenant.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(tenantId);
        start.ArgumentList.Add(user);
        start.Environment["RABBITMQ_MANAGEMENT_URL"] = servers.RabbitMqManagementUri.AbsoluteUri;
        start.Environment["RABBITMQ_VHOST"] = vhost;
        start.Environment["TENANT_USER_PASSWORD"] = password;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"provision-tenant.sh {tenantId} {user} exited {process.ExitCode}: {await errors}{await output}");
        Assert.Contains($"Messaging__Submission__Publishers__{user}={tenantId}", await output, StringComparison.Ordinal);

        var amqp = new UriBuilder(vhostUri) { UserName = Uri.EscapeDataString(user), Password = password }.Uri;
        return new AmqpTenant(tenantId, user, amqp, servers.RabbitMqManagementUri);
    }

    /// <summary>A new channel on the tenant's connection (a channel the broker closes for a refused operation is gone).</summary>
    public async Task<IChannel> OpenChannelAsync(bool confirms = false)
    {
        _connection ??= await _factory.CreateConnectionAsync();
        return await _connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: confirms, publisherConfirmationTrackingEnabled: confirms));
    }

    /// <summary>
    /// Publishes <paramref name="json"/> to the public submission exchange with publisher confirms, with <c>user_id</c>
    /// set to this tenant's user unless <paramref name="configure"/> changes it.
    /// </summary>
    public async Task PublishAsync(string json, Action<BasicProperties>? configure = null)
    {
        await using var channel = await OpenChannelAsync(confirms: true);
        var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, UserId = User };
        configure?.Invoke(properties);
        await channel.BasicPublishAsync(SubmitTrainingJob.QueueName, routingKey: "", mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// The next rejection in the tenant's queue (looked at once at least): the <c>message</c> of MassTransit's envelope,
    /// or null after <paramref name="patience"/>.
    /// </summary>
    public async Task<JsonElement?> NextRejectionAsync(TimeSpan patience)
    {
        await using var channel = await OpenChannelAsync();
        using var timeout = new CancellationTokenSource(patience);
        do
        {
            if (await channel.BasicGetAsync(RejectionQueue, autoAck: true) is { } delivery)
            {
                using var envelope = JsonDocument.Parse(delivery.Body);
                return envelope.RootElement.GetProperty("message").Clone();
            }
            await Task.Delay(50, CancellationToken.None);
        }
        while (!timeout.IsCancellationRequested);
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        using var management = new HttpClient { BaseAddress = new UriBuilder(_management) { UserName = "", Password = "", Path = "/" }.Uri };
        var credentials = Uri.UnescapeDataString(_management.UserInfo);
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using var response = await management.DeleteAsync(new Uri($"api/users/{Uri.EscapeDataString(User)}", UriKind.Relative));
    }
}

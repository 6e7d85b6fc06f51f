using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts;
using Platform.Jobs.V1;
using Platform.Scheduler.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>
/// The public submission queue on real RabbitMQ, used as tenants' systems use it: plain AMQP clients, each connected as
/// its tenant's RabbitMQ user (provisioned by deploy/rabbitmq/provision-tenant.sh), publishing raw JSON with
/// <c>user_id</c>, and reading rejections from their tenant's queue. Two tenants, acme and beta, side by side; a third
/// user, gamma, is provisioned but not mapped to any tenant.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(ServersCollection))]
public sealed class AmqpSubmissionTests(PlatformServers servers) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const string ErrorQueue = SubmitTrainingJob.QueueName + "_error";

    private readonly string _acmeUser = AmqpTenant.NewUserName("acme");
    private readonly string _betaUser = AmqpTenant.NewUserName("beta");
    private SchedulerServer _server = null!;
    private AmqpTenant _acme = null!;
    private AmqpTenant _beta = null!;
    private AmqpTenant _gamma = null!;

    public async Task InitializeAsync()
    {
        _server = await SchedulerServer.StartAsync(servers, services => services.Configure<SubmissionOptions>(options =>
        {
            options.Publishers[_acmeUser] = "acme";
            options.Publishers[_betaUser] = "beta";
        }));
        _acme = await AmqpTenant.ProvisionAsync(servers, _server.AmqpUri, "acme", _acmeUser);
        _beta = await AmqpTenant.ProvisionAsync(servers, _server.AmqpUri, "beta", _betaUser);
        _gamma = await AmqpTenant.ProvisionAsync(servers, _server.AmqpUri, "gamma", AmqpTenant.NewUserName("gamma"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        foreach (var tenant in new[] { _acme, _beta, _gamma })
            if (tenant is not null) await tenant.DisposeAsync();
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData(null, false)]
    public async Task A_tenants_user_submits_raw_json_and_the_job_is_that_tenants_and_succeeds(string? contentType, bool namesTenant)
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var requestId = $"amqp-{Guid.NewGuid():N}";
        var tenant = namesTenant ? "\"tenantId\": \"acme\"," : "";
        var body = $$"""
            {
              "requestId": "{{requestId}}", {{tenant}}
              "datasetId": "{{dataset.Id}}",
              "task": "multiclass_classification",
              "labelColumn": "species",
              "trainer": "lightgbm",
              "hyperparameters": { "number_of_iterations": "50", "learning_rate": "0.05" },
              "seed": 7,
              "holdoutFraction": 0.25
            }
            """;

        await _acme.PublishAsync(body, p => p.ContentType = contentType);
        var job = await _server.WaitForJobAsync(requestId, "acme", Patience);
        var updates = await _server.WatchToEndAsync(job.Id, "acme", Patience);

        Assert.Equal("amqp", job.Source);
        Assert.Equal("acme", job.TenantId);
        Assert.Equal(dataset.Id, job.Spec.DatasetId);
        Assert.Equal("50", job.Spec.Hyperparameters["number_of_iterations"]);
        Assert.Equal(7, job.Spec.Seed);
        Assert.Equal(0.25, job.Spec.HoldoutFraction);
        Assert.Equal(JobState.Succeeded, updates[^1].Job.State);
        Assert.Null(await _acme.NextRejectionAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_submission_forged_for_another_tenant_is_rejected_to_its_publisher_and_stores_nothing()
    {
        var betasData = _server.ModelStore.AddPenguins("beta");

        await _acme.PublishAsync(Submission("forged", betasData.Id, tenantId: "beta"), p => p.MessageId = "forged-1");
        var rejected = await _acme.NextRejectionAsync(Patience);

        Assert.NotNull(rejected);
        Assert.Equal("tenantId", Text(rejected, "field"));
        Assert.Equal("acme", Text(rejected, "tenantId"));
        Assert.Equal("forged-1", Text(rejected, "submissionMessageId"));
        Assert.Equal(0L, await CountJobsAsync());
        Assert.Empty((await _server.Jobs.ListJobsAsync(new ListJobsRequest { RequestId = "forged" }, SchedulerServer.TenantHeaders("beta"))).Jobs);
        // One rejection per message: the one acme read is the only one, so beta's queue stays empty.
        Assert.Null(await _beta.NextRejectionAsync(TimeSpan.Zero));
        Assert.Empty(_server.Worker.Received);
    }

    [Fact]
    public async Task A_submission_without_user_id_is_refused_stores_nothing_and_waits_in_the_error_queue()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");

        await _acme.PublishAsync(Submission("anonymous", dataset.Id, tenantId: "acme"), p => p.ClearUserId());
        var kept = await NextErrorAsync();

        Assert.NotNull(kept);
        Assert.Contains("user_id", Header(kept, "MT-Fault-Message"), StringComparison.Ordinal);
        Assert.Equal(0L, await CountJobsAsync());
        Assert.Null(await _acme.NextRejectionAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_user_mapped_to_no_tenant_is_refused_and_its_message_is_kept_without_user_id_naming_the_user()
    {
        var dataset = _server.ModelStore.AddPenguins("gamma");

        await _gamma.PublishAsync(Submission("unmapped", dataset.Id, tenantId: "gamma"));
        var kept = await NextErrorAsync();

        // The broker took the copy from the scheduler's connection only because it carries no user_id.
        Assert.NotNull(kept);
        Assert.False(kept.BasicProperties.IsUserIdPresent());
        Assert.Equal(_gamma.User, Header(kept, ErrorCopyWithoutUserIdFilter.PublisherHeader));
        Assert.Equal(0L, await CountJobsAsync());
    }

    [Fact]
    public async Task The_broker_refuses_a_user_id_other_than_the_connections_user()
    {
        var dataset = _server.ModelStore.AddPenguins("beta");
        await using var channel = await _acme.OpenChannelAsync(confirms: true);
        var properties = new BasicProperties { ContentType = "application/json", UserId = _beta.User };

        await Assert.ThrowsAnyAsync<Exception>(async () => await channel.BasicPublishAsync(SubmitTrainingJob.QueueName, "", mandatory: true,
            properties, System.Text.Encoding.UTF8.GetBytes(Submission("impersonated", dataset.Id, tenantId: "beta"))));

        Assert.Equal((ushort)Constants.PreconditionFailed, channel.CloseReason?.ReplyCode);
        Assert.Contains("user_id", channel.CloseReason!.ReplyText, StringComparison.Ordinal);
        // The queue is first in, first out: once a later submission is a job, the refused one would have been seen.
        var own = _server.ModelStore.AddPenguins("acme");
        await _acme.PublishAsync(Submission("after", own.Id));
        await _server.WaitForJobAsync("after", "acme", Patience);
        Assert.Equal(1L, await CountJobsAsync());
    }

    [Fact]
    public async Task A_tenants_user_cannot_bind_to_or_read_another_tenants_rejections_or_the_submissions()
    {
        await using (var channel = await _acme.OpenChannelAsync())
        {
            await channel.QueueDeclareAsync("acme.audit", durable: false, exclusive: false, autoDelete: true);
            await channel.QueueBindAsync("acme.audit", TrainingJobRejected.ExchangeName, "acme");
        }

        await AssertRefusedAsync(channel => channel.QueueBindAsync("acme.audit", TrainingJobRejected.ExchangeName, "beta"));
        await AssertRefusedAsync(channel => channel.QueueBindAsync("acme.audit", TrainingJobRejected.ExchangeName, "#"));
        await AssertRefusedAsync(channel => channel.QueueBindAsync("acme.audit", SubmitTrainingJob.QueueName, ""));
        await AssertRefusedAsync(channel => channel.BasicGetAsync(_beta.RejectionQueue, autoAck: true));
        await AssertRefusedAsync(channel => channel.QueueDeclareAsync("beta.snoop", durable: false, exclusive: false, autoDelete: true));
    }

    [Fact]
    public async Task A_rejection_echoes_the_message_and_correlation_ids_and_names_the_json_property()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var body = Submission("bad-label", dataset.Id).Replace("\"species\"", "\"beak_colour\"", StringComparison.Ordinal);

        await _acme.PublishAsync(body, p =>
        {
            p.MessageId = "msg-17";
            p.CorrelationId = new string('c', 200);
        });
        var rejected = await _acme.NextRejectionAsync(Patience);

        Assert.NotNull(rejected);
        Assert.Equal("bad-label", Text(rejected, "requestId"));
        Assert.Equal("acme", Text(rejected, "tenantId"));
        Assert.Equal("msg-17", Text(rejected, "submissionMessageId"));
        Assert.StartsWith("ccc", Text(rejected, "submissionCorrelationId"), StringComparison.Ordinal);
        Assert.Equal(new string('c', 128) + "… (72 more characters)", Text(rejected, "submissionCorrelationId"));
        Assert.Equal("labelColumn", Text(rejected, "field"));
        Assert.StartsWith("labelColumn: column 'beak_colour'", Text(rejected, "reason"), StringComparison.Ordinal);
        Assert.Equal(0L, await CountJobsAsync());
    }

    [Fact]
    public async Task An_unreadable_submission_is_rejected_naming_the_property_and_kept_in_the_error_queue()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var body = Submission("typed", dataset.Id).Replace("\"50\"", "50", StringComparison.Ordinal);

        await _acme.PublishAsync(body, p => p.CorrelationId = "corr-typed");
        var rejected = await _acme.NextRejectionAsync(Patience);
        var kept = await NextErrorAsync();

        Assert.NotNull(rejected);
        Assert.Equal("typed", Text(rejected, "requestId"));
        Assert.Equal("corr-typed", Text(rejected, "submissionCorrelationId"));
        Assert.Equal("hyperparameters.number_of_iterations", Text(rejected, "field"));
        Assert.Equal("hyperparameters.number_of_iterations: expected a string, found a number", Text(rejected, "reason"));
        Assert.NotNull(kept);
        Assert.Equal(_acme.User, Header(kept, ErrorCopyWithoutUserIdFilter.PublisherHeader));
        Assert.Equal(0L, await CountJobsAsync());
    }

    [Fact]
    public async Task A_submitter_cannot_send_the_schedulers_faults_to_another_tenants_queue()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var elsewhere = new Dictionary<string, object?>
        {
            ["MT-Fault-Address"] = $"queue:{_beta.RejectionQueue}",
            ["MT-Response-Address"] = $"queue:{_beta.RejectionQueue}",
        };

        // A consumer fault (no user_id) and a receive fault (unreadable), each asking for its fault to go to beta.
        await _acme.PublishAsync(Submission("fault-1", dataset.Id), p =>
        {
            p.ClearUserId();
            p.Headers = new Dictionary<string, object?>(elsewhere);
        });
        await _acme.PublishAsync("{\"requestId\": \"fault-2\", \"seed\": \"seven\"}", p => p.Headers = new Dictionary<string, object?>(elsewhere));
        Assert.NotNull(await NextErrorAsync());
        Assert.NotNull(await NextErrorAsync());

        // Faults are sent (and confirmed) before a message is moved to _error.
        Assert.Null(await _beta.NextRejectionAsync(TimeSpan.Zero));
        Assert.Equal(0L, await CountJobsAsync());
    }

    [Fact]
    public async Task A_sweep_message_on_the_submission_queue_starts_a_sweep_of_the_publishers_tenant()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var requestId = $"sweep-{Guid.NewGuid():N}";

        await _acme.PublishAsync(SweepSubmission(requestId, dataset.Id, logMin: "0.01"));
        var sweep = await WaitForAsync(async () => await QueryAsync(
            $"select tenant_id || ' ' || state from sweeps where request_id = '{requestId}'"), Patience);
        var trials = await WaitForAsync(async () => await QueryAsync(
            $"select count(*)::text from training_jobs j join sweeps s on j.sweep_id = s.id where s.request_id = '{requestId}' and j.tenant_id = 'acme'")
            is "0" or null ? null : "some", Patience);

        Assert.Equal("acme Running", sweep);
        Assert.NotNull(trials);
        Assert.Null(await _acme.NextRejectionAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_bad_or_forged_sweep_message_is_rejected_naming_the_json_property_and_stores_nothing()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var betasData = _server.ModelStore.AddPenguins("beta");

        await _acme.PublishAsync(SweepSubmission("bad-sweep", dataset.Id, logMin: "0"));
        var bad = await _acme.NextRejectionAsync(Patience);
        await _acme.PublishAsync(SweepSubmission("bad-label", dataset.Id, logMin: "0.01").Replace("\"species\"", "\"beak\"", StringComparison.Ordinal));
        var badBase = await _acme.NextRejectionAsync(Patience);
        await _acme.PublishAsync(SweepSubmission("forged-sweep", betasData.Id, logMin: "0.01", tenantId: "beta"));
        var forged = await _acme.NextRejectionAsync(Patience);

        Assert.Equal("sweep.trainers[0].space[0].floatRange.min", Text(bad, "field"));
        Assert.StartsWith("sweep.trainers[0].space[0].floatRange.min: 0: a log scale", Text(bad, "reason"), StringComparison.Ordinal);
        Assert.Equal("labelColumn", Text(badBase, "field"));
        Assert.Equal("tenantId", Text(forged, "field"));
        Assert.Equal("acme", Text(forged, "tenantId"));
        Assert.Equal("0", await QueryAsync("select count(*)::text from sweeps"));
        Assert.Equal(0L, await CountJobsAsync());
        Assert.Null(await _beta.NextRejectionAsync(TimeSpan.Zero));
    }

    private static string SweepSubmission(string requestId, string datasetId, string logMin, string? tenantId = null) => $$"""
        {
          "requestId": "{{requestId}}", {{(tenantId is null ? "" : $"\"tenantId\": \"{tenantId}\",")}}
          "datasetId": "{{datasetId}}",
          "task": "multiclass_classification",
          "labelColumn": "species",
          "sweep": {
            "trainers": [ { "name": "lightgbm", "hyperparameters": { "number_of_iterations": "20" },
                            "space": [ { "name": "learning_rate", "floatRange": { "min": {{logMin}}, "max": 0.3, "scale": "log" } },
                                       { "name": "number_of_leaves", "intRange": { "min": 4, "max": 32 } } ] } ],
            "objective": { "metric": "accuracy" },
            "algorithm": "bayesian",
            "maxTrials": 4, "maxParallel": 2, "seed": 3
          }
        }
        """;

    private async Task<string?> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private static async Task<string?> WaitForAsync(Func<Task<string?>> probe, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        while (!timeout.IsCancellationRequested)
        {
            if (await probe() is { } value) return value;
            await Task.Delay(100, CancellationToken.None);
        }
        return null;
    }

    private static string Submission(string requestId, string datasetId, string? tenantId = null) => JsonSerializer.Serialize(new
    {
        requestId,
        tenantId,
        datasetId,
        task = "multiclass_classification",
        labelColumn = "species",
        trainer = "lightgbm",
        hyperparameters = new Dictionary<string, string> { ["number_of_iterations"] = "50" },
    });

    private static string? Text(JsonElement? element, string property) =>
        element!.Value.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Header(BasicGetResult message, string name) =>
        message.BasicProperties.Headers?.TryGetValue(name, out var value) == true
            ? value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : value?.ToString()
            : null;

    /// <summary>Runs <paramref name="operation"/> as acme's user on a fresh channel and expects the broker to refuse it (403).</summary>
    private async Task AssertRefusedAsync(Func<IChannel, Task> operation)
    {
        await using var channel = await _acme.OpenChannelAsync();
        var error = await Assert.ThrowsAsync<OperationInterruptedException>(() => operation(channel));
        Assert.Equal((ushort)Constants.AccessRefused, error.ShutdownReason?.ReplyCode);
    }

    /// <summary>The next message in the submission queue's <c>_error</c> queue, read as the platform's own user.</summary>
    private async Task<BasicGetResult?> NextErrorAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(_server.AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        using var timeout = new CancellationTokenSource(Patience);
        while (!timeout.IsCancellationRequested)
        {
            // A fresh channel each time: MassTransit declares the error queue on its first move, and reading a queue
            // that does not exist yet closes the channel.
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                if (await channel.BasicGetAsync(ErrorQueue, autoAck: true) is { } message) return message;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
            {
            }
            await Task.Delay(100, CancellationToken.None);
        }
        return null;
    }

    private async Task<long> CountJobsAsync()
    {
        await using var connection = new NpgsqlConnection(_server.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from training_jobs", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

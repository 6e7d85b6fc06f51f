using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using Platform.Models.V1;
using Platform.Serving.V1;

namespace Platform.Serving.Tests.Integration;

/// <summary>
/// The PredictionService as a client uses it, over sockets, against a model store, a gateway and the serving service
/// on real PostgreSQL and RabbitMQ (<see cref="ServingPlatform"/>): predictions by alias over gRPC and HTTP/JSON, a hot
/// swap under load, bad input, credentials, scopes and tenants, and the prediction log.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PredictionApiTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_prediction_by_alias_comes_from_the_aliased_version_over_gRPC_and_HTTP_JSON()
    {
        await SetAliasAsync("production", platform.Version1.Version);
        var client = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));

        var response = await client.PredictAsync(Request("penguins@production", Rows.Penguin(), Rows.Penguin()));

        Assert.Equal((ServingPlatform.Model, platform.Version1.Version, platform.Version1.Id), (response.ModelName, response.Version, response.VersionId));
        Assert.Equal("multiclass_classification", response.Task);
        Assert.Equal(2, response.Predictions.Count);
        Assert.Equal("Adelie", response.Predictions[0].Label);
        Assert.Equal(1.0, response.Predictions[0].ClassScores.Values.Sum(), 3);
        Assert.False(string.IsNullOrEmpty(response.RequestId));

        // The same call as JSON over HTTP (the serving port speaks HTTP/2 only, as gRPC does).
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", platform.PredictKey);
        var body = """{"rows":[{"Island":"Torgersen","Beak Length (mm)":39.1,"Beak Depth (mm)":18.7,"Flipper Length (mm)":181,"Body Mass (g)":3750,"Sex":"MALE"}]}""";
        using var answer = await http.PostAsync(new Uri(platform.ServingAddress, "/v1/models/penguins@production:predict"),
            new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await answer.Content.ReadAsStringAsync();

        Assert.True(answer.IsSuccessStatusCode, $"{answer.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        Assert.Equal(platform.Version1.Version, json.RootElement.GetProperty("version").GetInt32());
        Assert.Equal("Adelie", json.RootElement.GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [Fact]
    public async Task Moving_an_alias_swaps_the_version_while_clients_predict_and_no_call_fails()
    {
        await SetAliasAsync("canary", platform.Version1.Version);
        var client = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));
        Assert.Equal(platform.Version1.Version, (await client.PredictAsync(Request("penguins@canary", Rows.Penguin()))).Version);

        using var stop = new CancellationTokenSource();
        var answeredBy = new System.Collections.Concurrent.ConcurrentBag<int>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    answeredBy.Add((await client.PredictAsync(Request("penguins@canary", Rows.Penguin()))).Version);
                }
                catch (RpcException ex)
                {
                    failures.Add($"{ex.StatusCode}: {ex.Status.Detail}");
                }
            }
        })).ToList();
        try
        {
            // The clients are predicting by the alias before it moves (on a loaded machine their tasks may start late).
            var started = DateTime.UtcNow + Patience;
            while (answeredBy.Count < 16 && failures.IsEmpty)
            {
                Assert.True(DateTime.UtcNow < started, "the clients got no answer before the alias move");
                await Task.Delay(10);
            }
            await SetAliasAsync("canary", platform.Version2.Version);
            // The registry's event reaches the serving service over RabbitMQ; then every answer comes from version 2.
            var deadline = DateTime.UtcNow + Patience;
            while ((await client.PredictAsync(Request("penguins@canary", Rows.Penguin()))).Version != platform.Version2.Version)
            {
                Assert.True(DateTime.UtcNow < deadline, "the alias move never reached the serving service:\n" + platform.Logs());
                await Task.Delay(50);
            }
            var afterSwap = answeredBy.Count;
            while (answeredBy.Count < afterSwap + 40) await Task.Delay(20);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }

        Assert.Empty(failures);
        Assert.Contains(platform.Version1.Version, answeredBy);
        Assert.Contains(platform.Version2.Version, answeredBy);
        Assert.Equal(platform.Version2.Version, (await client.PredictAsync(Request("penguins@canary", Rows.Penguin()))).Version);
    }

    [Fact]
    public async Task A_prediction_stream_answers_each_request_in_order_and_ends_with_the_status_of_a_bad_one()
    {
        var client = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));
        var pinned = $"penguins:{platform.Version1.Version}";
        var bad = Rows.Penguin();
        bad.Fields.Remove("Island");
        using var call = client.PredictStream();

        var answers = new List<PredictResponse>();
        foreach (var id in new[] { "first", "second" })
        {
            var request = Request(pinned, Rows.Penguin());
            request.RequestId = id;
            await call.RequestStream.WriteAsync(request);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            answers.Add(call.ResponseStream.Current);
        }
        await call.RequestStream.WriteAsync(Request(pinned, bad));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(["first", "second"], answers.Select(a => a.RequestId));
        Assert.All(answers, a => Assert.Equal(platform.Version1.Version, a.Version));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("Island", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_field_and_the_service_keeps_serving()
    {
        var client = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));
        var pinned = $"penguins:{platform.Version1.Version}";
        var missing = Rows.Penguin();
        missing.Fields.Remove("Flipper Length (mm)");
        var wrongType = Rows.Penguin();
        wrongType.Fields["Body Mass (g)"] = Value.ForString(new string('x', 500));

        var missingError = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(Request(pinned, Rows.Penguin(), missing)).ResponseAsync);
        var typeError = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(Request(pinned, wrongType)).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(Request("no-such-model@production", Rows.Penguin())).ResponseAsync);
        var tooMany = await Assert.ThrowsAsync<RpcException>(() =>
            client.PredictAsync(Request(pinned, [.. Enumerable.Range(0, ServingPlatform.MaxRows + 1).Select(_ => Rows.Penguin())])).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, missingError.StatusCode);
        Assert.Contains("Flipper Length (mm)", missingError.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("rows[1]", missingError.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, typeError.StatusCode);
        Assert.Contains("Body Mass (g)", typeError.Status.Detail, StringComparison.Ordinal);
        Assert.True(typeError.Status.Detail.Length < 400, typeError.Status.Detail);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no-such-model@production", unknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, tooMany.StatusCode);
        Assert.Contains("Serving:MaxRowsPerRequest", tooMany.Status.Detail, StringComparison.Ordinal);
        Assert.Single((await client.PredictAsync(Request(pinned, Rows.Penguin()))).Predictions);
    }

    [Fact]
    public async Task Callers_need_a_credential_the_predict_scope_and_see_only_their_tenants_models()
    {
        var pinned = $"penguins:{platform.Version1.Version}";
        using var anonymous = global::Grpc.Net.Client.GrpcChannel.ForAddress(platform.ServingAddress);

        var none = await Assert.ThrowsAsync<RpcException>(() =>
            new PredictionService.PredictionServiceClient(anonymous).PredictAsync(Request(pinned, Rows.Penguin())).ResponseAsync);
        var badKey = await Assert.ThrowsAsync<RpcException>(() => new PredictionService.PredictionServiceClient(
            platform.Serving(platform.PredictKey[..^4] + "AAAA")).PredictAsync(Request(pinned, Rows.Penguin())).ResponseAsync);
        var reader = await Assert.ThrowsAsync<RpcException>(() =>
            new PredictionService.PredictionServiceClient(platform.Serving(platform.ReadKey)).PredictAsync(Request(pinned, Rows.Penguin())).ResponseAsync);
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() =>
            new PredictionService.PredictionServiceClient(platform.Serving(platform.OtherTenantKey)).PredictAsync(Request(pinned, Rows.Penguin())).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, badKey.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, reader.StatusCode);
        Assert.Contains("models:predict", reader.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, otherTenant.StatusCode);
    }

    [Fact]
    public async Task Predictions_and_reported_outcomes_are_logged_for_monitoring()
    {
        var client = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));
        var requestId = "order-" + Guid.NewGuid().ToString("N");
        var request = Request($"penguins:{platform.Version1.Version}", Rows.Penguin(), Rows.Penguin());
        request.RequestId = requestId;

        var response = await client.PredictAsync(request);
        await client.ReportOutcomeAsync(new ReportOutcomeRequest { RequestId = requestId, Row = 1, Label = "Gentoo" });
        var noLabel = await Assert.ThrowsAsync<RpcException>(() => client.ReportOutcomeAsync(new ReportOutcomeRequest { RequestId = requestId }).ResponseAsync);

        Assert.Equal(requestId, response.RequestId);
        Assert.Equal(StatusCode.InvalidArgument, noLabel.StatusCode);
        // Written in batches off the request path: wait for them.
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var (logged, outcomes) = await CountAsync(requestId);
            if (logged == 2 && outcomes == 1) break;
            Assert.True(DateTime.UtcNow < deadline, $"{logged} rows and {outcomes} outcomes logged for {requestId}");
            await Task.Delay(100);
        }
        await using var connection = new NpgsqlConnection(platform.ServingDatabase);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT tenant_id, model_name, version, predicted_label, inputs FROM prediction_log WHERE request_id = @id AND row_index = 0", connection);
        query.Parameters.AddWithValue("id", requestId);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("default", ServingPlatform.Model, platform.Version1.Version, response.Predictions[0].Label),
            (reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3)));
        Assert.Contains("Torgersen", reader.GetString(4), StringComparison.Ordinal);
    }

    private async Task<(long Logged, long Outcomes)> CountAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(platform.ServingDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM prediction_log WHERE request_id = @id), (SELECT count(*) FROM prediction_outcomes WHERE request_id = @id)",
            connection);
        command.Parameters.AddWithValue("id", requestId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private async Task SetAliasAsync(string alias, int version) =>
        await new ModelService.ModelServiceClient(platform.Gateway(platform.AdminKey))
            .SetModelAliasAsync(new SetModelAliasRequest { ModelName = ServingPlatform.Model, Alias = alias, Version = version });

    private static PredictRequest Request(string model, params Struct[] rows)
    {
        var request = new PredictRequest { Model = model };
        request.Rows.AddRange(rows);
        return request;
    }
}

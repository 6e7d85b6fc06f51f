using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using Platform.Serving.V1;

namespace Platform.Serving.Tests.Integration;

/// <summary>
/// GetModelMonitoring as a user reads it, on real PostgreSQL and RabbitMQ (<see cref="ServingPlatform"/>): a version
/// trained on the uploaded penguins data set is sent its own training rows (unshifted) or the same rows shifted, and
/// outcomes are reported. Each test registers its own version, so no other test's predictions fall into its windows.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MonitoringApiTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Reported_outcomes_show_live_accuracy_next_to_the_evaluation_and_unshifted_data_is_stable()
    {
        var version = await platform.RegisterAsync(await TrainedModels.PenguinsLightGbm);
        var reference = $"{ServingPlatform.Model}:{version.Version}";
        // Shuffled (seeded): the file is sorted by species, and the background check may judge the window while only
        // part of the rows are logged; any part of a shuffled order looks like the whole.
        var rows = Rows.From(TrainedModels.Penguins);
        new Random(19).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
        var predictions = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));

        var answers = await PredictAllAsync(predictions, reference, rows);
        // Truth for every row; the share the model got right is what live accuracy must say.
        foreach (var (answer, row) in answers.Zip(rows))
            await predictions.ReportOutcomeAsync(new ReportOutcomeRequest { RequestId = answer.RequestId, Row = answer.Row, Label = row.Fields["Species"].StringValue });
        var expectedAccuracy = answers.Zip(rows).Count(pair => pair.First.Label == pair.Second.Fields["Species"].StringValue) / (double)rows.Count;

        var window = await LatestWindowAsync(reference, rows.Count, rows.Count);

        Assert.Equal(rows.Count, window.Quality.Outcomes);
        Assert.Equal(expectedAccuracy, window.Quality.Accuracy, 10);
        Assert.True(window.Quality.HasMacroF1);
        Assert.False(window.Quality.HasRmse);
        // The model's own training rows look like its training data: every feature stable.
        Assert.Equal(["Island", "Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)", "Sex"], window.Features.Select(f => f.Column));
        Assert.All(window.Features, f => Assert.True(f.Level == "stable", $"{f.Column}: PSI {f.Psi} ({f.Level})"));
        Assert.Equal("stable", window.Level);
        Assert.Equal("categorical", window.Prediction.Kind);

        // The background check has judged this version (its alert row exists, off) and raised nothing for it.
        var alert = await AlertAsync(version.Id, expectDrifting: false);
        Assert.False(alert);
        Assert.Empty(await DriftEventsAsync(version.Id));
    }

    [Fact]
    public async Task Shifted_inputs_are_significant_drift_with_the_shifted_columns_named()
    {
        var version = await platform.RegisterAsync(await TrainedModels.PenguinsLightGbm);
        var reference = $"{ServingPlatform.Model}:{version.Version}";
        // Heavier penguins with longer flippers than any in the training data.
        var training = Rows.From(TrainedModels.Penguins);
        new Random(19).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(training));
        var rows = training.Select(row =>
        {
            var shifted = row.Clone();
            foreach (var column in new[] { "Body Mass (g)", "Flipper Length (mm)" })
                if (shifted.Fields[column].KindCase == Value.KindOneofCase.NumberValue)
                    shifted.Fields[column] = Value.ForNumber(shifted.Fields[column].NumberValue * 1.5);
            return shifted;
        }).ToList();
        var predictions = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));
        await PredictAllAsync(predictions, reference, rows);

        var window = await LatestWindowAsync(reference, rows.Count, 0);

        Assert.Equal("significant", window.Level);
        var drifted = window.Features.Where(f => f.Level == "significant").Select(f => f.Column).Order().ToList();
        Assert.Equal(["Body Mass (g)", "Flipper Length (mm)"], drifted);
        var mass = window.Features.Single(f => f.Column == "Body Mass (g)");
        Assert.True(mass.KsPValue < 1e-6, $"KS p = {mass.KsPValue}");
        Assert.Equal("stable", window.Features.Single(f => f.Column == "Island").Level);

        // The background check raises ModelDriftDetected once, through the outbox: published (sent) to RabbitMQ.
        Assert.True(await AlertAsync(version.Id, expectDrifting: true));
        var deadline = DateTime.UtcNow + Patience;
        List<(string Payload, bool Sent)> events;
        while ((events = await DriftEventsAsync(version.Id)) is not [(_, true)])
        {
            Assert.True(DateTime.UtcNow < deadline, $"{events.Count} drift events for {version.Id}\n{platform.Logs()}");
            await Task.Delay(200);
        }
        using var payload = System.Text.Json.JsonDocument.Parse(events[0].Payload);
        Assert.Equal(version.Version, payload.RootElement.GetProperty("Version").GetInt32());
        Assert.Equal(platform.PenguinsDatasetId, payload.RootElement.GetProperty("DatasetId").GetString());
        Assert.Equal("Species", payload.RootElement.GetProperty("LabelColumn").GetString());
        // The check may have judged a part of the stream; the shifted columns are in it, the unshifted inputs are not
        // (the prediction may be: heavier penguins are predicted differently).
        var columns = payload.RootElement.GetProperty("Columns").EnumerateArray().Select(c => c.GetProperty("Column").GetString()).ToList();
        Assert.Contains("Body Mass (g)", columns);
        Assert.Contains("Flipper Length (mm)", columns);
        Assert.DoesNotContain("Island", columns);
    }

    [Fact]
    public async Task Monitoring_needs_models_read_and_answers_with_a_chart_when_asked()
    {
        var predictOnly = new PredictionService.PredictionServiceClient(platform.Serving(platform.PredictKey));
        var denied = await Assert.ThrowsAsync<RpcException>(() => predictOnly.GetModelMonitoringAsync(
            new GetModelMonitoringRequest { Model = $"{ServingPlatform.Model}:{platform.Version1.Version}" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var reader = new PredictionService.PredictionServiceClient(platform.Serving(platform.ReadKey));
        var monitoring = await reader.GetModelMonitoringAsync(new GetModelMonitoringRequest
        {
            Model = $"{ServingPlatform.Model}:{platform.Version1.Version}", WindowMinutes = 30, Windows = 4, IncludeChart = true,
        });
        Assert.Equal(4, monitoring.Windows.Count);
        Assert.Equal(TimeSpan.FromMinutes(30), monitoring.Windows[0].End.ToDateTime() - monitoring.Windows[0].Start.ToDateTime());
        Assert.Equal(platform.PenguinsDatasetId, monitoring.DatasetId);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], monitoring.DriftChartPng.Take(4));

        // The same as JSON over HTTP, the query naming the fields as the JSON form does.
        using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", platform.ReadKey);
        using var answer = await http.GetAsync(new Uri(platform.ServingAddress,
            $"/v1/models/{ServingPlatform.Model}:{platform.Version1.Version}:monitoring?windowMinutes=30&windows=3"));
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{answer.StatusCode}: {text}");
        using var json = System.Text.Json.JsonDocument.Parse(text);
        var windows = json.RootElement.GetProperty("windows");
        Assert.Equal(3, windows.GetArrayLength());
        Assert.Equal(TimeSpan.FromMinutes(30), windows[0].GetProperty("end").GetDateTime() - windows[0].GetProperty("start").GetDateTime());

        var tooMany = await Assert.ThrowsAsync<RpcException>(() => reader.GetModelMonitoringAsync(
            new GetModelMonitoringRequest { Model = ServingPlatform.Model, Windows = 1000 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, tooMany.StatusCode);
        Assert.StartsWith("windows", tooMany.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>The latest window once the log holds <paramref name="rows"/> rows and <paramref name="outcomes"/> outcomes (written in batches, off the request path).</summary>
    private async Task<MonitoringWindow> LatestWindowAsync(string reference, int rows, int outcomes)
    {
        var reader = new PredictionService.PredictionServiceClient(platform.Serving(platform.ReadKey));
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var monitoring = await reader.GetModelMonitoringAsync(new GetModelMonitoringRequest { Model = reference, Windows = 1 });
            var window = Assert.Single(monitoring.Windows);
            if (window.Rows == rows && window.Quality.Outcomes == outcomes) return window;
            Assert.True(DateTime.UtcNow < deadline, $"{window.Rows} rows and {window.Quality.Outcomes} outcomes measured for {reference}\n{platform.Logs()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until the drift check has judged the version (its alert row exists) as <paramref name="expectDrifting"/> says; returns the row's state.</summary>
    private async Task<bool> AlertAsync(string versionId, bool expectDrifting)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            await using var connection = new NpgsqlConnection(platform.ServingDatabase);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT drifting FROM drift_alerts WHERE version_id = @id", connection);
            command.Parameters.AddWithValue("id", Guid.Parse(versionId));
            if (await command.ExecuteScalarAsync() is bool drifting && drifting == expectDrifting) return drifting;
            Assert.True(DateTime.UtcNow < deadline, $"no drift check judged {versionId} {(expectDrifting ? "drifting" : "stable")}\n{platform.Logs()}");
            await Task.Delay(200);
        }
    }

    /// <summary>The ModelDriftDetected events in the serving outbox for a version: payload, and whether it was published.</summary>
    private async Task<List<(string Payload, bool Sent)>> DriftEventsAsync(string versionId)
    {
        await using var connection = new NpgsqlConnection(platform.ServingDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT payload, sent_at IS NOT NULL FROM outbox_messages WHERE message_type = 'ModelDriftDetected' AND payload LIKE @pattern", connection);
        command.Parameters.AddWithValue("pattern", $"%\"VersionId\":\"{versionId}\"%");
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<(string, bool)>();
        while (await reader.ReadAsync()) events.Add((reader.GetString(0), reader.GetBoolean(1)));
        return events;
    }

    /// <summary>Predicts every row, in requests of at most <see cref="ServingPlatform.MaxRows"/>; each row's request id, position and label.</summary>
    private static async Task<List<(string RequestId, int Row, string Label)>> PredictAllAsync(
        PredictionService.PredictionServiceClient client, string model, IReadOnlyList<Struct> rows)
    {
        var answers = new List<(string, int, string)>();
        foreach (var chunk in rows.Chunk(ServingPlatform.MaxRows))
        {
            var request = new PredictRequest { Model = model };
            request.Rows.AddRange(chunk);
            var response = await client.PredictAsync(request);
            answers.AddRange(response.Predictions.Select((p, i) => (response.RequestId, i, p.Label)));
        }
        return answers;
    }
}

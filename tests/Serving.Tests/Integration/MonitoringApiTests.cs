using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
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
        var rows = Rows.From(TrainedModels.Penguins);
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
    }

    [Fact]
    public async Task Shifted_inputs_are_significant_drift_with_the_shifted_columns_named()
    {
        var version = await platform.RegisterAsync(await TrainedModels.PenguinsLightGbm);
        var reference = $"{ServingPlatform.Model}:{version.Version}";
        // Heavier penguins with longer flippers than any in the training data.
        var rows = Rows.From(TrainedModels.Penguins).Select(row =>
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

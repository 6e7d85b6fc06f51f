using Grpc.Core;
using Platform.Models.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>CompareModelVersions over real gRPC on PostgreSQL: versions side by side with the better metric marked.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class CompareApiTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    /// <summary>evaluation.json as the worker writes it (the parts a comparison reads).</summary>
    private static byte[] EvaluationJson(string method, int folds, string holdoutFraction) => Encoding.UTF8.GetBytes($$"""
        {
          "task": "multiclass_classification",
          "evaluation": { "method": "{{method}}", "folds": {{folds}}, "holdout_fraction": {{holdoutFraction}}, "stratified": true, "feature_importance": false, "permutations": 0 },
          "metrics": { "accuracy": 0.9 },
          "confusion_matrix": { "classes": ["Adelie", "Gentoo"], "counts": [[148, 4], [1, 123]] }
        }
        """);

    private Task<ModelVersion> RegisterAsync(string job, string trainer, IDictionary<string, double> metrics, byte[] evaluation)
    {
        var version = Version("penguins", job);
        version.Trainer = trainer;
        version.Metrics.Clear();
        version.Metrics.Add(metrics);
        return _host.RegisterAsync(Registration(version, new ArtifactUpload("model", RandomBytes(400, seed: job.Length + trainer.Length)), new ArtifactUpload("evaluation", evaluation)));
    }

    [Fact]
    public async Task Two_versions_come_side_by_side_with_the_better_value_marked_per_metric_direction()
    {
        await RegisterAsync("job-1", "sdca_maximum_entropy",
            new Dictionary<string, double> { ["accuracy"] = 0.95, ["accuracy_std"] = 0.02, ["log_loss"] = 0.12, ["f1[Adelie]"] = 0.9 },
            EvaluationJson("cross_validation", 5, "0"));
        await RegisterAsync("job-2", "lightgbm",
            new Dictionary<string, double> { ["accuracy"] = 0.97, ["accuracy_std"] = 0.01, ["log_loss"] = 0.20, ["macro_f1"] = 0.96 },
            EvaluationJson("holdout", 0, "0.2"));
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "ci" }, Acme);

        var comparison = await _host.Models.CompareModelVersionsAsync(
            new CompareModelVersionsRequest { References = { "penguins@production", "models/penguins" } }, Acme);

        Assert.Equal([("sdca_maximum_entropy", 1), ("lightgbm", 2)], comparison.Versions.Select(v => (v.Version.Trainer, v.Version.Version)));
        Assert.Equal(("cross_validation", 5, true), (comparison.Versions[0].Evaluation.Method, comparison.Versions[0].Evaluation.Folds, comparison.Versions[0].Evaluation.Stratified));
        Assert.Equal(("holdout", 0.2), (comparison.Versions[1].Evaluation.Method, comparison.Versions[1].Evaluation.HoldoutFraction));
        Assert.Equal(["Adelie", "Gentoo"], comparison.Versions[0].ConfusionMatrix.Classes);
        Assert.Equal([148L, 4, 1, 123], comparison.Versions[0].ConfusionMatrix.Counts);
        Assert.Equal("0.1", comparison.Versions[1].Version.Hyperparameters["l2_regularization"]);

        // accuracy_std rides with accuracy; a metric only one version has is listed, marked for neither.
        Assert.Equal(["accuracy", "f1[Adelie]", "log_loss", "macro_f1"], comparison.Metrics.Select(m => m.Metric));
        var accuracy = comparison.Metrics.Single(m => m.Metric == "accuracy");
        Assert.Equal(MetricDirection.HigherIsBetter, accuracy.Direction);
        Assert.Equal([(0.95, 0.02, false), (0.97, 0.01, true)], accuracy.Values.Select(v => (v.Value, v.StandardDeviation, v.Better)));
        var logLoss = comparison.Metrics.Single(m => m.Metric == "log_loss");
        Assert.Equal(MetricDirection.LowerIsBetter, logLoss.Direction);
        Assert.Equal([true, false], logLoss.Values.Select(v => v.Better));
        Assert.False(logLoss.Values[0].HasStandardDeviation);
        var macroF1 = comparison.Metrics.Single(m => m.Metric == "macro_f1");
        Assert.Equal([(false, false), (true, false)], macroF1.Values.Select(v => (v.HasValue, v.Better)));
    }

    [Fact]
    public async Task An_upload_without_an_evaluation_compares_with_its_metrics_and_no_method()
    {
        await RegisterAsync("job-1", "lightgbm", new Dictionary<string, double> { ["auc"] = 0.93 }, EvaluationJson("holdout", 0, "0.2"));
        await _host.UploadModelAsync(ModelUpload(UploadHeader("uploaded"), new ArtifactUpload("model", RandomBytes(300, seed: 5))));

        var comparison = await _host.Models.CompareModelVersionsAsync(
            new CompareModelVersionsRequest { References = { "penguins:1", "uploaded" } }, Acme);

        Assert.Null(comparison.Versions[1].Evaluation);
        Assert.Null(comparison.Versions[1].ConfusionMatrix);
        Assert.Equal([0.93, 0.91], comparison.Metrics.Single(m => m.Metric == "auc").Values.Select(v => v.Value));
        Assert.Equal([true, false], comparison.Metrics.Single(m => m.Metric == "auc").Values.Select(v => v.Better));
    }

    [Fact]
    public async Task An_unknown_reference_is_not_found_and_one_reference_is_not_a_comparison()
    {
        await RegisterAsync("job-1", "lightgbm", new Dictionary<string, double> { ["accuracy"] = 0.9 }, EvaluationJson("holdout", 0, "0.2"));

        var missing = await Assert.ThrowsAsync<RpcException>(() => _host.Models.CompareModelVersionsAsync(
            new CompareModelVersionsRequest { References = { "penguins:1", "penguins:7" } }, Acme).ResponseAsync);
        var single = await Assert.ThrowsAsync<RpcException>(() => _host.Models.CompareModelVersionsAsync(
            new CompareModelVersionsRequest { References = { "penguins:1" } }, Acme).ResponseAsync);
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() => _host.Models.CompareModelVersionsAsync(
            new CompareModelVersionsRequest { References = { "penguins:1", "penguins:1" } }, ModelStoreHost.Tenant("globex")).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("penguins:7", missing.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, single.StatusCode);
        Assert.Contains("references", single.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, otherTenant.StatusCode);
    }
}
